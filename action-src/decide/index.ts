// The decision module. PURE: no I/O, no clock, no randomness (time and keys come in as
// arguments). The Action, the backfill, unlink and the simulator all use it, so they never disagree.
export * from "./account";
export * from "./emails";
export * from "./markers";
export * from "./precheck";
export * from "./plan";
export * from "./eligibility";
export * from "./primary";
export * from "./undo";
export * from "./holdings";
export * from "./profile-size";
export * from "./unlinked";
export * from "./merge";
export * from "./decide-links";
