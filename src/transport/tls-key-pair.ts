/** A PEM certificate chain and its private key; when given, a listener serves TLS instead of cleartext. */
export interface TlsKeyPair {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}
