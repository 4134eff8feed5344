import { describeFamilyContract } from '../test/family-contract';

describeFamilyContract('cpu', true);
