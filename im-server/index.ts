// The reference server's public entry, for the harness's reference target: how it places a
// conversation and how it signs a user's token. Its processes start from main.ts,
// directory-main.ts and token-main.ts; nothing else of its insides is for other rooms.

// The defaults its commands' help shows (harness/targets/reference/commands.ts).
export { DEFAULT_LEASE_MS } from './directory.ts';
export { rendezvousOrder } from './placement.ts';
export { DEFAULT_TOKEN_TTL_SECONDS, signToken } from './token.ts';
