/** An error of the embedded host with a stable `code`; messages name the bad setting or file, never a secret. */
export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HostError';
  }
}
