/** A delivery attempt's outcome in words, the same in the webhooks table and after "Send test". */

/** "HTTP 200", "timeout", "HTTP 500", "refused by the proxy (HTTP 502)": a status the error already names is not repeated. */
export function attemptWords(status: number, error: string): string {
  if (error === "") return `HTTP ${status}`;
  return status !== 0 && !error.includes(String(status)) ? `${error} (HTTP ${status})` : error;
}
