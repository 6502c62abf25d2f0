import { router } from '../trpc';
import { kiloclawRouter } from './kiloclaw';

export const appRouter = router({ kiloclaw: kiloclawRouter });
export type AppRouter = typeof appRouter;
