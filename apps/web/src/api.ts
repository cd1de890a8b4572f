// The API client of the page: same origin, the session rides in its HttpOnly cookie (never readable here).
import { ValiseApi } from '@valise/client';

export const api = new ValiseApi({ serverUrl: location.origin });
