/** Tandem's version, printed by `--version` and reported by the admin API. */
export const VERSION = "0.1.0";
