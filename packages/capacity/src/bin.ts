#!/usr/bin/env node
import { runCapacityCli } from './cli';

process.exitCode = runCapacityCli(process.argv.slice(2));
