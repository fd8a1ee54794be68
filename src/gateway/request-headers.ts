/** Request headers as Fetch `Headers`, now in transport (every HTTP door uses them); re-exported for forward-auth.ts. */
export { headersOf } from "../transport/request-headers.js";
