import { defineManifest } from '../manifest.ts';
import { mockApiConnector } from './index.ts';

/** The test receiver offers no node of its own: a flow reaches one through an existing-destination node. */
export const mockApiManifest = defineManifest({ connector: mockApiConnector });
