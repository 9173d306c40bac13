-- berwrap.lua - x400sec test helper: decode a raw DER file in tshark with a
-- chosen Wireshark dissector table and selector.
--
-- tshark opens a DER file as one "ASN.1 BER" record, but no command-line
-- option picks the syntax for it.  This wrapper takes over the BER file
-- encapsulation and hands the whole record to
--   table    a dissector table: ber.syntax, ber.oid (string keys) or an
--            integer-keyed one (p1.extension, p1.tokendata, ...)
--   selector the key in that table
-- both given as preferences:  -o x400der.table:p1.extension
--                             -o x400der.selector:16
local wrap = Proto("x400der", "x400sec raw DER file")
wrap.prefs.table = Pref.string("table", "ber.syntax", "Dissector table to use")
wrap.prefs.selector = Pref.string("selector", "ORName", "Key within that table")

local string_keyed = { ["ber.syntax"] = true, ["ber.oid"] = true }

function wrap.dissector(tvb, pinfo, tree)
    local name = wrap.prefs.table
    local key = wrap.prefs.selector
    if not string_keyed[name] then
        key = tonumber(key)
    end
    local ok, table = pcall(DissectorTable.get, name)
    if not ok or table == nil or key == nil then
        tree:add(wrap, tvb(), "x400der: bad table '" .. name .. "' or selector")
        return 0
    end
    local used = table:try(key, tvb, pinfo, tree)
    if used == 0 then
        tree:add(wrap, tvb(), "x400der: " .. name .. " has no dissector for " .. tostring(key))
    end
    return used
end

DissectorTable.get("wtap_encap"):add(wtap_encaps.BER, wrap)
