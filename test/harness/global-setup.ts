// Placeholder: replaced by the embedded PostgreSQL harness (foundation issue).
export default async function setup(): Promise<void> {}
