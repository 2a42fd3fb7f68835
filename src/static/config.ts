import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section } from '../config/types.js';

export const StaticConfig = Section(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve static files.' }),
    root: Type.String({ default: 'www', minLength: 1, description: 'Directory served at the site root.' }),
  },
  { description: 'Static files.' },
);

export type StaticConfig = StaticDecode<typeof StaticConfig>;
