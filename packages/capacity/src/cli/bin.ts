#!/usr/bin/env node
import { runCapacityCli } from './index';

process.exitCode = runCapacityCli(process.argv.slice(2));
