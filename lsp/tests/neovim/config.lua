-- Run by tests/neovim.rs on Neovim 0.11+: the lspconfig-style editors/neovim/lsp_config.lua, enabled
-- with `vim.lsp.enable`, on a file of the example project. The stage comes from
-- `vim.g.coworks_stage`; a lens is run the way Neovim runs a clicked lens (`Client:exec_cmd`, which
-- finds the configuration's client-side command), in a terminal split; `vim.g.coworks_cli` is
-- `echo`, so the terminal shows the command line. Writes what it saw as JSON.
local bin, config_file, file, out = os.getenv('COWORKS_LSP_BIN'), os.getenv('COWORKS_CONFIG'),
  os.getenv('COWORKS_FILE'), os.getenv('COWORKS_OUT')
local result = {}

local function wait(what, cond)
  if not vim.wait(20000, cond, 50) then
    error('timed out waiting for ' .. what)
  end
end

local ok, err = pcall(function()
  vim.g.coworks_stage = 'test'
  vim.g.coworks_cli = 'echo'
  local config = dofile(config_file)
  config.cmd = { bin }
  vim.lsp.config('coworks', config)
  vim.lsp.enable('coworks')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local client
  wait('the client', function()
    client = vim.lsp.get_clients({ bufnr = buf, name = 'coworks' })[1]
    return client ~= nil and client.initialized
  end)
  local lenses = {}
  wait('code lenses', function()
    vim.lsp.codelens.refresh({ bufnr = buf })
    lenses = vim.lsp.codelens.get(buf)
    return #lenses > 0
  end)
  result.titles = {}
  local run
  for _, l in ipairs(lenses) do
    table.insert(result.titles, l.command.title)
    if l.command.title == '▶ Run' then run = l end
  end
  -- The lens as Neovim runs it when clicked: the configuration's client-side command.
  client:exec_cmd(run.command, { bufnr = buf })
  local term
  wait('the terminal to show the command line', function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.bo[b].buftype == 'terminal' then
        local text = table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\n')
        if text:find('run %-s test') then
          term = text
          return true
        end
      end
    end
    return false
  end)
  result.terminal = term:match('[^\n]*run %-s test[^\n]*')
  wait('inlay hints', function()
    return #vim.lsp.inlay_hint.get({ bufnr = buf }) > 0
  end)
  result.hints = #vim.lsp.inlay_hint.get({ bufnr = buf })
end)
if not ok then
  result.error = tostring(err)
end
local f = io.open(out, 'w')
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd('qa!')
