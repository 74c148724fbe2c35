import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { HostError } from '../host-error.js';
import { runInApp, writeLog } from './core-module.js';
import type {
  CoreInvocationContext,
  FunctionCallback,
  HookData,
  InvocationState,
  PostInvocationContext,
  PreInvocationContext,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcParameterBinding,
  RpcTraceContext,
  RpcTypedData,
} from './core-types.js';
import type { RegisteredFunction, WorkerApp } from './worker-app.js';

export interface InvocationInput {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  traceContext?: RpcTraceContext;
  invocationId?: string;
}

/**
 * Gives a hook context the fields hooks may read but not replace (hookData, appHookData, invocationContext), as the
 * Node worker does: assigning one throws.
 */
function withReadOnly<T extends object>(fields: Partial<T>, readOnlyFields: Record<string, unknown>): T {
  for (const [name, value] of Object.entries(readOnlyFields)) {
    Object.defineProperty(fields, name, { get: () => value, set: () => readOnly(name), enumerable: true });
  }
  return fields as T;
}

function readOnly(name: string): never {
  throw new HostError('READ_ONLY', `Cannot assign to read only property '${name}'`);
}

/**
 * Runs one invocation the way the Node worker's invocation handler does: the programming model's
 * InvocationModel turns the RPC request into arguments, preInvocation hooks run, the function runs,
 * postInvocation hooks run (they may swallow or replace the error / result), then the model builds the response.
 * Rejects with the function's error, as the worker reports a failed invocation.
 */
export async function invokeFunction(
  app: WorkerApp,
  fn: RegisteredFunction,
  input: InvocationInput,
): Promise<RpcInvocationResponse> {
  const model = app.programmingModel;
  if (!model) throw new HostError('NO_PROGRAMMING_MODEL', 'The app set no programming model');
  const invocationId = input.invocationId ?? randomUUID();
  const request: RpcInvocationRequest = {
    invocationId,
    functionId: fn.functionId,
    inputData: input.inputData,
    triggerMetadata: input.triggerMetadata ?? {},
    traceContext: input.traceContext ?? { traceParent: '', traceState: '', attributes: {} },
  };
  const logFields = { function: fn.name, invocationId };
  let state: InvocationState | undefined;
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request,
    metadata: fn.metadata,
    get state() {
      return state;
    },
    set state(value) {
      state = value;
    },
    log(level: RpcLogLevel, category: RpcLogCategory, message: string) {
      writeLog(app.logger, level, category, message, logFields);
    },
  };

  return runInApp(app, async () => {
    const invocationModel = await model.getInvocationModel(coreCtx);
    const { context, inputs: initialInputs } = await invocationModel.getArguments();
    // Hook contexts are built only when a hook is registered: invisible to the app, and cheaper on every tick.
    const shared = { hookData: {} as HookData, appHookData: app.appHookData, invocationContext: context };
    let inputs = initialInputs;
    let callback: FunctionCallback = fn.callback;
    if (app.hasHooks('preInvocation')) {
      const pre = withReadOnly<PreInvocationContext>({ inputs, functionCallback: callback }, shared);
      state = 'preInvocationHooks';
      try {
        await app.runHooks('preInvocation', pre);
      } finally {
        state = undefined;
      }
      inputs = pre.inputs;
      callback = pre.functionCallback;
    }

    const post: Pick<PostInvocationContext, 'result' | 'error'> = { result: null, error: null };
    state = 'invocation';
    try {
      post.result = await invocationModel.invokeFunction(context, inputs, callback);
    } catch (err) {
      post.error = err;
    } finally {
      state = undefined;
    }
    if (app.hasHooks('postInvocation')) {
      const hookContext = withReadOnly<PostInvocationContext>({ inputs, result: post.result, error: post.error }, shared);
      state = 'postInvocationHooks';
      try {
        await app.runHooks('postInvocation', hookContext);
      } finally {
        state = undefined;
      }
      post.result = hookContext.result;
      post.error = hookContext.error;
    }
    if (post.error !== null && post.error !== undefined) {
      throw post.error instanceof Error ? post.error : new Error(typeof post.error === 'string' ? post.error : inspect(post.error));
    }
    return invocationModel.getResponse(context, post.result);
  });
}
