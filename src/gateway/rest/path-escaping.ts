/**
 * Percent-decoding of request paths, as google/api/http.proto, grpc-gateway and vanguard-go do it: a
 * variable that captures one segment is fully decoded; one that captures several (`**`, or a pattern of
 * more than one segment) is decoded except for `%2F`, which stays `%2F` so the value's own slashes can be
 * told from the path's. Literal segments and the verb are compared decoded.
 */

/** A path whose percent-encoding is malformed (`%zz`, `%` at the end) or not UTF-8. */
export class MalformedEscapeError extends Error {
  override readonly name = "MalformedEscapeError";
}

/** Fully decodes one raw path segment. */
export function decodeSegment(raw: string): string {
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new MalformedEscapeError(`\`${raw}\` has a malformed percent-encoding`);
  }
}

/** Decodes raw segments joined by `/`, keeping every `%2F` (as `%2F`). */
export function decodeMultiSegment(rawSegments: readonly string[]): string {
  return rawSegments
    .join("/")
    .split(/%2F/i)
    .map((part) => decodeSegment(part))
    .join("%2F");
}
