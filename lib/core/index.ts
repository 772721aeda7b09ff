export * from './ids';
export * from './errors';
export * from './hash';
export * from './random';
export * from './trace';
export * from './copy';
