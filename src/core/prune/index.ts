/** The pruning module's public surface: the method registry, plans, budgets and each method. */
export * from './methods';
export * from './plan';
export * from './budget';
export * from './reflection';
export * from './asap';
export * from './asapIterative';
export * from './anchor';
export * from './entropy';
export * from './confidence';
export * from './perplexity';
export * from './dangling';
