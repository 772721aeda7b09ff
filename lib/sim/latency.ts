import { ConfigError, Random, requireNumberInRange } from '../core';

/**
 * How long a message takes, as data so that a configuration can be printed, compared and
 * saved. All values are in milliseconds of virtual time.
 *
 * - constant: always `ms`.
 * - uniform: any value in [minMs, maxMs).
 * - exponential: mean `meanMs`, plus an optional floor `minMs`.
 * - pareto: scale `xmMs` (the minimum) and shape `alpha` (heavier tail as alpha falls).
 * - mixture: with probability weight_i, sample from part i (weights are normalised); e.g. the
 *   PBS paper's LNKD-SSD fit: 91.22% Pareto(xm 0.235, alpha 10) with 8.78% Exponential(rate 1.66).
 *
 * @example
 *   const lan: LatencyModel = { kind: 'uniform', minMs: 1, maxMs: 5 };
 *   const lnkdSsd: LatencyModel = { kind: 'mixture', parts: [
 *     { weight: 0.9122, model: { kind: 'pareto', xmMs: 0.235, alpha: 10 } },
 *     { weight: 0.0878, model: { kind: 'exponential', meanMs: 1 / 1.66 } } ] };
 */
export type LatencyModel =
  | { kind: 'constant'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'exponential'; meanMs: number; minMs?: number }
  | { kind: 'pareto'; xmMs: number; alpha: number }
  | { kind: 'mixture'; parts: { weight: number; model: LatencyModel }[] };

/** Checks a latency model and throws a ConfigError naming the bad field. */
export function validateLatency(model: LatencyModel, field = 'latency'): void {
  if (!model || typeof model !== 'object') throw new ConfigError(field, 'a latency model object', model);
  switch (model.kind) {
    case 'constant':
      requireNumberInRange(`${field}.ms`, model.ms, 0, Infinity);
      return;
    case 'uniform':
      requireNumberInRange(`${field}.minMs`, model.minMs, 0, Infinity);
      requireNumberInRange(`${field}.maxMs`, model.maxMs, model.minMs, Infinity);
      return;
    case 'exponential':
      requireNumberInRange(`${field}.meanMs`, model.meanMs, 0, Infinity);
      if (model.minMs !== undefined) requireNumberInRange(`${field}.minMs`, model.minMs, 0, Infinity);
      return;
    case 'pareto':
      if (!(model.xmMs > 0)) throw new ConfigError(`${field}.xmMs`, 'a number > 0', model.xmMs);
      if (!(model.alpha > 0)) throw new ConfigError(`${field}.alpha`, 'a number > 0', model.alpha);
      return;
    case 'mixture': {
      if (!Array.isArray(model.parts) || model.parts.length === 0) {
        throw new ConfigError(`${field}.parts`, 'a non-empty array of { weight, model }', model.parts);
      }
      model.parts.forEach((p, i) => {
        requireNumberInRange(`${field}.parts[${i}].weight`, p.weight, 0, Infinity);
        validateLatency(p.model, `${field}.parts[${i}].model`);
      });
      if (model.parts.every((p) => p.weight === 0)) {
        throw new ConfigError(`${field}.parts`, 'weights that are not all 0', model.parts.map((p) => p.weight));
      }
      return;
    }
    default:
      throw new ConfigError(`${field}.kind`, "one of 'constant', 'uniform', 'exponential', 'pareto', 'mixture'", (model as { kind: unknown }).kind);
  }
}

/** Draws one latency in milliseconds. Validate the model first. */
export function sampleLatencyMs(model: LatencyModel, rng: Random): number {
  switch (model.kind) {
    case 'constant':
      return model.ms;
    case 'uniform':
      return rng.uniform(model.minMs, model.maxMs);
    case 'exponential':
      return (model.minMs ?? 0) + rng.exponential(model.meanMs);
    case 'pareto':
      return rng.pareto(model.xmMs, model.alpha);
    case 'mixture': {
      let total = 0;
      for (const p of model.parts) total += p.weight;
      let x = rng.next() * total;
      for (const p of model.parts) {
        x -= p.weight;
        if (x < 0) return sampleLatencyMs(p.model, rng);
      }
      return sampleLatencyMs(model.parts[model.parts.length - 1].model, rng);
    }
  }
}

/** The mean of a latency model in milliseconds (Infinity for a Pareto with alpha <= 1). */
export function meanLatencyMs(model: LatencyModel): number {
  switch (model.kind) {
    case 'constant':
      return model.ms;
    case 'uniform':
      return (model.minMs + model.maxMs) / 2;
    case 'exponential':
      return (model.minMs ?? 0) + model.meanMs;
    case 'pareto':
      return model.alpha <= 1 ? Infinity : (model.alpha * model.xmMs) / (model.alpha - 1);
    case 'mixture': {
      const total = model.parts.reduce((s, p) => s + p.weight, 0);
      return model.parts.reduce((s, p) => s + (p.weight / total) * meanLatencyMs(p.model), 0);
    }
  }
}
