/**
 * consensus-lab: the library behind the course. Import it in a notebook as
 * `import { Simulator } from 'consensus-lab'`.
 */
export * from './core';
export * from './sim';
