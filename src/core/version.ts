/** The bfly version (kept equal to package.json's by a test). */
export const BFLY_VERSION = '0.1.0';

/** The `.butterfly/` format this bfly writes and reads. */
export const FORMAT_VERSION = 3;
