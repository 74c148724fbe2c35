/**
 * Answers by path for the test sink, so that the dashboard has every kind of tick to show: `/` answers 200 at once,
 * `/flaky` 503 to every other request (failed, then delivered late on the retry), `/slow` 200 after 1.3 s (late),
 * `/refuse` 400 to every other request (rejected), `/gone` always 410 (dead-lettered when the schedule has a
 * dead-letter sink), `/dlq` 200 (the dead-letter sink).
 */
import type { RecordingSink, Responder } from '../support/recording-sink.js';

const pathOf = (url: string): string => new URL(url, 'http://sink').pathname;

export function faultAnswers(sink: RecordingSink): Responder {
  return (req, res) => {
    const path = pathOf(req.url ?? '/');
    // The sink recorded this request already: n counts it.
    const n = sink.requests.filter((r) => pathOf(r.url) === path).length;
    let status = 200;
    if (path === '/flaky' && n % 2 === 1) status = 503;
    if (path === '/refuse' && n % 2 === 0) status = 400;
    if (path === '/gone') status = 410;
    const send = (): void => void res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
    if (path === '/slow') setTimeout(send, 1_300);
    else send();
  };
}
