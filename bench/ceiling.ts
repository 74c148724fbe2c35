/** The raw ceiling: an undici POST loop (32 at a time, keep-alive) to the same sink, requests per second. */
import { Pool } from 'undici';

const BODY = JSON.stringify({ schedule: 'raw', sequence: 1, scheduledTime: new Date(0).toISOString() });

export async function measureCeiling(sinkUrl: string, durationMs: number): Promise<number> {
  const pool = new Pool(new URL(sinkUrl).origin, { connections: 32 });
  let done = 0;
  const deadline = Date.now() + durationMs;
  const started = Date.now();
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const response = await pool.request({ path: '/raw', method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } });
      await response.body.dump();
      if (response.statusCode === 200) done++;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const seconds = (Date.now() - started) / 1000;
  await pool.close();
  return Math.round(done / seconds);
}
