import pkg from '../package.json' with { type: 'json' };

export const TOOL = { name: 'image-size-report', version: pkg.version } as const;
