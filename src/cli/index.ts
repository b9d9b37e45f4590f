#!/usr/bin/env node
// placeholder: replaced by its owner
export {};
