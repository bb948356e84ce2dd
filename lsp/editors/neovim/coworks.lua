-- CoWorks language server for Neovim (0.7 and later; no plugin needed).
--
--   local coworks = dofile('/path/to/coworks.lua')   -- or put it on 'runtimepath' as lua/coworks.lua
--   coworks.setup({ cmd = { 'coworks-lsp' }, stage = 'dev' })
--
-- Starts `coworks-lsp` for Rust, YAML and .env buffers inside a project (a directory holding
-- project.cws.yml), shows code lenses, and runs lens commands: the server answers the `cws` command
-- line, which is run in a terminal split.
local M = {}

local function project_root(path)
  local found = vim.fn.findfile('project.cws.yml', vim.fn.fnamemodify(path, ':p:h') .. ';')
  if found == '' then
    return nil
  end
  return vim.fn.fnamemodify(found, ':p:h')
end

-- Lens commands: ask the server for the command line, then run it in a terminal.
local function run_in_terminal(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if not client then
    return
  end
  client.request('workspace/executeCommand', command, function(err, result)
    if err then
      vim.notify('coworks: ' .. err.message, vim.log.levels.ERROR)
      return
    end
    vim.cmd('botright split | lcd ' .. vim.fn.fnameescape(result.cwd))
    vim.fn.termopen(result.argv)
  end, ctx.bufnr)
end

for _, name in ipairs({ 'coworks.run', 'coworks.deploy', 'coworks.invoke', 'coworks.routes' }) do
  vim.lsp.commands[name] = run_in_terminal
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
    init_options = { stage = opts.stage },
    on_attach = function(_, buf)
      -- Lenses are refreshed when the text settles.
      vim.lsp.codelens.refresh()
      vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'InsertLeave' }, {
        buffer = buf,
        callback = function() vim.lsp.codelens.refresh() end,
      })
      if opts.on_attach then
        opts.on_attach(_, buf)
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
