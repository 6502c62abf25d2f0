// How many calls one tRPC request may batch. Pure, so the dashboard's client reads the same number:
// its busiest page asks for 4 at once, and its link splits anything larger at this size. A bigger
// batch comes from someone else's script, each call being a database read or a machine call.
export const MAX_BATCH_SIZE = 10;
