export * from './queue';
export * from './latency';
export * from './network';
export * from './node';
export * from './faults';
export * from './simulator';
