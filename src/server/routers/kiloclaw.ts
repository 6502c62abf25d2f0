// The kiloclaw router: billing + instance + pairing + channel procedures, each group in its own file.
import { router } from '../trpc';
import { billingProcedures } from './billing';
import { channelProcedures } from './channels';
import { instanceProcedures } from './instance';
import { pairingProcedures } from './pairing';

export const kiloclawRouter = router({
  ...billingProcedures,
  ...instanceProcedures,
  ...pairingProcedures,
  ...channelProcedures,
});
