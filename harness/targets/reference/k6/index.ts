// The reference server's side of `chatquake k6`: the script, the users' endpoints and tokens,
// and `--setup`. harness/k6/ and the k6 command reach the reference protocol only through here.

export { MAX_DURATION_MARGIN_MS, referenceK6Script, scriptOptions } from './script.ts';
export { createK6Conversations, failoverOrder, type K6UsersInput, k6Users } from './users.ts';
