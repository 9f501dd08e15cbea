import type * as vscode from 'vscode';
import { TraceViewScheme } from './traceView';

/**
 * Documents the editor features attach to: trace views, and markdown / plain-text files (saved or
 * not) whose text holds reasoning delimiters (checked per document by the model, so a README gets no
 * lenses).
 */
export const TRACE_DOCUMENTS: vscode.DocumentSelector = [
  { scheme: TraceViewScheme },
  { scheme: 'file', language: 'markdown' },
  { scheme: 'file', language: 'plaintext' },
  { scheme: 'untitled', language: 'markdown' },
  { scheme: 'untitled', language: 'plaintext' },
];
