-- lspconfig-style configuration for Neovim 0.11+: save as `lsp/coworks.lua` on 'runtimepath'
-- (e.g. ~/.config/nvim/lsp/coworks.lua), then call `vim.lsp.enable('coworks')`.
--
-- The stage is `vim.g.coworks_stage` when the server starts (else the project's first); the server
-- owns it afterwards. A lens runs the `cws` command line it carries (`argv`, in `cwd`) in a terminal
-- split; `vim.g.coworks_cli` replaces the `cws` program. Inlay hints are shown;
-- `vim.g.coworks_inlay_hints = false` turns them off.

-- Runs what a lens carries (or what the server answered) in a terminal split.
local function run(inv)
  if type(inv) ~= 'table' or type(inv.argv) ~= 'table' then
    return vim.notify('coworks: nothing to run', vim.log.levels.ERROR)
  end
  local production_deploy = inv.production and inv.action.action == 'deploy'
  if production_deploy and vim.fn.confirm('Deploy to ' .. inv.action.stage .. '?', '&Yes\n&No', 2) ~= 1 then
    return
  end
  local argv = vim.list_extend({ vim.g.coworks_cli or inv.argv[1] }, vim.list_slice(inv.argv, 2))
  vim.cmd('botright new')
  vim.fn.jobstart(argv, { term = true, cwd = inv.cwd })
end

local commands = {
  ['coworks.invoke'] = function(cmd, ctx)
    local inv = cmd.arguments[1]
    if #inv.route.path_params == 0 then
      return run(inv)
    end
    -- Fill in the route's `{params}`; the server checks the path and answers the line to run.
    local filled = vim.tbl_extend('force', inv.action, { path = vim.fn.input('Path: ', inv.action.path) })
    local params = { command = cmd.command, arguments = { { action = filled } } }
    vim.lsp.get_client_by_id(ctx.client_id):request('workspace/executeCommand', params, function(err, result)
      return err and vim.notify('coworks: ' .. err.message, vim.log.levels.ERROR) or run(result)
    end, ctx.bufnr)
  end,
  ['coworks.showReferences'] = function(cmd, ctx)
    local encoding = vim.lsp.get_client_by_id(ctx.client_id).offset_encoding
    vim.fn.setqflist({}, ' ', { title = cmd.title, items = vim.lsp.util.locations_to_items(cmd.arguments[3], encoding) })
    vim.cmd.copen()
  end,
}
for _, name in ipairs({ 'coworks.run', 'coworks.deploy', 'coworks.routes', 'coworks.check' }) do
  commands[name] = function(cmd) run(cmd.arguments[1]) end
end

return {
  cmd = { 'coworks-lsp' },
  filetypes = { 'rust', 'yaml', 'sh' },
  root_markers = { 'project.cws.yml' },
  before_init = function(params)
    params.initializationOptions = { stage = vim.g.coworks_stage, inlayHints = vim.g.coworks_inlay_hints }
  end,
  commands = commands,
  on_attach = function(client, buf)
    vim.lsp.codelens.refresh({ bufnr = buf })
    vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'InsertLeave' }, {
      buffer = buf,
      callback = function() vim.lsp.codelens.refresh({ bufnr = buf }) end,
    })
    vim.lsp.inlay_hint.enable(vim.g.coworks_inlay_hints ~= false, { bufnr = buf })
    return client
  end,
}
