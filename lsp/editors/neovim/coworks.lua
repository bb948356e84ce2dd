-- CoWorks language server for Neovim (0.7 and later; no plugin needed).
--
--   local coworks = dofile('/path/to/coworks.lua')   -- or put it on 'runtimepath' as lua/coworks.lua
--   coworks.setup({ cmd = { 'coworks-lsp' } })        -- stage: opts.stage, else vim.g.coworks_stage
--
-- Starts `coworks-lsp` for Rust, YAML and .env buffers inside a project (a directory holding
-- project.cws.yml), shows code lenses (and inlay hints on 0.10+), and runs lens commands: each lens
-- carries the resolved `cws` argument vector and the directory to run it in; it runs in a terminal
-- split (`vim.g.coworks_cli` replaces the `cws` program). Completion and code actions (quick fixes,
-- refactorings) come through Neovim's own LSP client.
local M = {}

local function project_root(path)
  local found = vim.fn.findfile('project.cws.yml', vim.fn.fnamemodify(path, ':p:h') .. ';')
  if found == '' then
    return nil
  end
  return vim.fn.fnamemodify(found, ':p:h')
end

--- Runs an invocation (a lens argument, or what the server answered) in a terminal split.
function M.run_invocation(inv)
  if type(inv) ~= 'table' or type(inv.argv) ~= 'table' then
    vim.notify('coworks: this lens carries no command line', vim.log.levels.ERROR)
    return nil
  end
  if inv.action and inv.action.action == 'deploy' and inv.production then
    local answer = vim.fn.confirm('Deploy to production stage ' .. inv.action.stage .. '?', '&Deploy\n&Cancel', 2)
    if answer ~= 1 then
      return nil
    end
  end
  local argv = vim.deepcopy(inv.argv)
  if vim.g.coworks_cli and vim.g.coworks_cli ~= '' then
    argv[1] = vim.g.coworks_cli
  end
  vim.cmd('botright split | enew')
  local job
  if vim.fn.has('nvim-0.11') == 1 then
    job = vim.fn.jobstart(argv, { term = true, cwd = inv.cwd })
  else
    job = vim.fn.termopen(argv, { cwd = inv.cwd })
  end
  return job
end

-- An invoke: ask for the path (the route's `{params}` filled in), let the server check it and
-- answer the command line, then run it.
local function invoke(inv, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local action = vim.deepcopy(inv.action)
  local path = vim.fn.input('Invoke ' .. action.method .. ' (' .. action.service .. '): ', action.path)
  if path == '' or not client then
    return
  end
  action.path = path
  local params = { command = 'coworks.invoke', arguments = { { action = action } } }
  local function answered(err, result)
    if err then
      vim.notify('coworks: ' .. err.message, vim.log.levels.ERROR)
    else
      M.run_invocation(result)
    end
  end
  if vim.fn.has('nvim-0.11') == 1 then
    client:request('workspace/executeCommand', params, answered, ctx.bufnr)
  else
    client.request('workspace/executeCommand', params, answered, ctx.bufnr)
  end
end

--- The client-side handlers of the server's lens commands (name → function(command, ctx)).
M.commands = {}
for _, name in ipairs({ 'coworks.run', 'coworks.deploy', 'coworks.routes', 'coworks.check' }) do
  M.commands[name] = function(command)
    M.run_invocation((command.arguments or {})[1])
  end
end
M.commands['coworks.invoke'] = function(command, ctx)
  local inv = (command.arguments or {})[1] or {}
  if inv.route and #inv.route.path_params > 0 then
    invoke(inv, ctx)
  else
    M.run_invocation(inv)
  end
end
-- `used by N workflow tasks`: the tasks, in the quickfix list.
M.commands['coworks.showReferences'] = function(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local locations = (command.arguments or {})[3] or {}
  local items = vim.lsp.util.locations_to_items(locations, client and client.offset_encoding or 'utf-16')
  vim.fn.setqflist({}, ' ', { title = command.title, items = items })
  vim.cmd('copen')
end

for name, handler in pairs(M.commands) do
  vim.lsp.commands[name] = handler
end

--- What the client does once attached: lenses refreshed as the text settles, inlay hints shown.
function M.on_attach(client, buf)
  vim.lsp.codelens.refresh()
  vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'InsertLeave' }, {
    buffer = buf,
    callback = function() vim.lsp.codelens.refresh() end,
  })
  if vim.lsp.inlay_hint and vim.fn.has('nvim-0.10') == 1 then
    vim.lsp.inlay_hint.enable(true, { bufnr = buf })
  end
  return client
end

--- Starts (or reuses) the server for buffer `bufnr`. Returns the client id, or nil outside a project.
function M.attach(bufnr, opts)
  local root = project_root(vim.api.nvim_buf_get_name(bufnr))
  if not root then
    return nil
  end
  local config = {
    name = 'coworks',
    cmd = opts.cmd or { 'coworks-lsp' },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = { stage = opts.stage or vim.g.coworks_stage, inlayHints = opts.inlay_hints },
    on_attach = function(client, buf)
      M.on_attach(client, buf)
      if opts.on_attach then
        opts.on_attach(client, buf)
      end
    end,
  }
  if vim.lsp.start then -- Neovim 0.8+
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  -- Neovim 0.7: one client per root, attached by hand.
  M._clients = M._clients or {}
  local id = M._clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(config)
    M._clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- Registers the autocommand that attaches the server to CoWorks files.
function M.setup(opts)
  opts = opts or {}
  vim.api.nvim_create_autocmd('FileType', {
    pattern = { 'rust', 'yaml', 'sh' },
    callback = function(args) M.attach(args.buf, opts) end,
  })
end

return M
