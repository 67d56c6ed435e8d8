/**
 * pushgate's defences, kept apart from the delivery path so that each is one call from the shard or
 * the API: connection tokens (JWT) and their room patterns, the Origin allow-list, API keys, rate
 * limits (token buckets in bounded maps), the handshake timeout, HTTP header bounds, UTF-8 validation
 * of client frames, bounded JSON nesting of push bodies and TLS for the event bus. README's Security
 * section says what each protects against. With the default configuration every one of them that
 * needs a key or changes behaviour is off.
 */
package io.pushgate.security;
