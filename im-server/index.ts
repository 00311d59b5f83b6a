// The reference server's public entry, for the harness's reference target: how it places a
// conversation and how it signs a user's token. Its processes start from main.ts,
// directory-main.ts and token-main.ts; nothing else of its insides is for other rooms.
export { rendezvousOrder } from './placement.ts';
export { signToken } from './token.ts';
