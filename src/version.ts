export const VERSION = '7.0.15-lodestone-0.1.0';
/** The Redis version Lodestone reports (HELLO, INFO redis_version): clients gate features on it. */
export const REDIS_VERSION = '7.0.15';
export const LODESTONE_VERSION = '0.1.0';
