/**
 * The media type of a REST request body: JSON only, and said so. A body without a `Content-Type` is
 * refused rather than taken as JSON: a browser sends such cross-origin requests without a CORS
 * preflight (as it does `text/plain` and form posts), so guessing JSON would let any page post to the API.
 */
import type { IncomingMessage } from "node:http";
import { UnsupportedMediaType } from "../../errors/errors.js";

/**
 * Throws `UNSUPPORTED_MEDIA_TYPE` (415) unless the body is declared JSON: `application/json` or a `+json`
 * type, any parameters (`charset=utf-8`).
 */
export function checkJsonContentType(request: IncomingMessage): void {
  const header = request.headers["content-type"] ?? "";
  const type = header.split(";", 1)[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw UnsupportedMediaType.create({ content_type: type === "" ? "(none)" : type.slice(0, 100) });
  }
}
