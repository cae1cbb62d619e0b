#include "spot/journal/codec.h"

#include "spot/core/binary.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace spot::journal {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kTable = make_table();

// 6 is a submit with the fields added for balances (post-only, quoteOrderQty); a
// submit without them is still written as 1, byte for byte as before.
enum class Kind : std::uint8_t {
  Submit = 1,
  Cancel = 2,
  CreateAccount = 3,
  Deposit = 4,
  Withdraw = 5,
  SubmitWithOptions = 6,
};

using Writer = binary::Writer;
using Reader = binary::Reader;

std::uint32_t crc32c_table(std::string_view data, std::uint32_t crc) {
  for (const char ch : data)
    crc = kTable[(crc ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// SSE 4.2 has an instruction for exactly this polynomial, eight bytes at a time:
// replay checks every journal byte, and the table loop was a visible part of it.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::string_view data,
                                                             std::uint32_t crc) {
  const char* p = data.data();
  std::size_t n = data.size();
  std::uint64_t c = crc;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, static_cast<unsigned char>(*p));
  return c32;
}

const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c(std::string_view data, std::uint32_t crc) {
#if defined(__x86_64__)
  if (kHaveSse42) return ~crc32c_sse42(data, ~crc);
#endif
  return ~crc32c_table(data, ~crc);
}

std::uint32_t crc32c_portable(std::string_view data, std::uint32_t crc) {
  return ~crc32c_table(data, ~crc);
}

void frame_record(std::uint64_t seq, std::string_view payload, std::string& out) {
  Writer w(out);
  w.put(static_cast<std::uint32_t>(payload.size()));
  const std::size_t crc_at = out.size();
  w.put(std::uint32_t{0});
  w.put(seq);
  out.append(payload);
  // The CRC covers the sequence number and the payload.
  const std::uint32_t crc = crc32c(std::string_view(out).substr(crc_at + 4));
  for (int i = 0; i < 4; ++i)
    out[crc_at + static_cast<std::size_t>(i)] = static_cast<char>(crc >> (8 * i));
}

ParseStatus parse_record(std::string_view data, ParsedRecord& out) {
  if (data.size() < kRecordHeaderBytes) return ParseStatus::Truncated;
  Reader r(data);
  std::uint32_t length = 0;
  std::uint32_t crc = 0;
  r.get(length);
  r.get(crc);
  r.get(out.seq);
  if (length == 0 || length > kMaxPayloadBytes) return ParseStatus::Corrupt;
  if (data.size() < kRecordHeaderBytes + length) return ParseStatus::Truncated;
  out.payload = data.substr(kRecordHeaderBytes, length);
  out.bytes = kRecordHeaderBytes + length;
  if (crc32c(out.payload, crc32c(data.substr(8, 8))) != crc) return ParseStatus::Corrupt;
  return ParseStatus::Ok;
}

bool is_mutating(const CommandBody& command) {
  return std::holds_alternative<SubmitOrder>(command) ||
         std::holds_alternative<CancelRequest>(command) ||
         std::holds_alternative<CreateAccount>(command) ||
         std::holds_alternative<Deposit>(command) || std::holds_alternative<Withdraw>(command);
}

std::string encode_command(const CommandBody& command, const std::string& request_id,
                           std::int64_t time_ns) {
  std::string out;
  encode_command(command, request_id, time_ns, out);
  return out;
}

void encode_command(const CommandBody& command, const std::string& request_id,
                    std::int64_t time_ns, std::string& out) {
  Writer w(out);
  auto put_transfer = [&w](Kind kind, const Transfer& t) {
    w.put(static_cast<std::uint8_t>(kind));
    w.put(t.account.value);
    w.str(t.asset);
    w.put(t.amount);
    w.str(t.reference);
  };
  if (const auto* s = std::get_if<SubmitOrder>(&command)) {
    const bool options = s->post_only || s->quote_qty != 0;
    w.put(static_cast<std::uint8_t>(options ? Kind::SubmitWithOptions : Kind::Submit));
    w.put(s->account.value);
    w.put(s->symbol);
    w.put(static_cast<std::uint8_t>(s->side));
    w.put(static_cast<std::uint8_t>(s->type));
    w.put(static_cast<std::uint8_t>(s->tif));
    w.put(s->price);
    w.put(s->qty);
    w.put(s->client_token);
    w.str(s->client_order_id);
    if (options) {
      w.put(static_cast<std::uint8_t>(s->post_only ? 1 : 0));
      w.put(s->quote_qty);
    }
  } else if (const auto* d = std::get_if<Deposit>(&command)) {
    put_transfer(Kind::Deposit, *d);
  } else if (const auto* wd = std::get_if<Withdraw>(&command)) {
    put_transfer(Kind::Withdraw, *wd);
  } else if (const auto* c = std::get_if<CancelRequest>(&command)) {
    w.put(static_cast<std::uint8_t>(Kind::Cancel));
    w.put(c->account.value);
    w.put(c->order_id.value);
  } else if (const auto* a = std::get_if<CreateAccount>(&command)) {
    w.put(static_cast<std::uint8_t>(Kind::CreateAccount));
    w.str(a->name);
    w.str(a->key_hash);
  }
  w.str(request_id);
  w.put(time_ns);
  // Last, and only if there is one: a record without a secret is what 0.3 wrote.
  if (const auto* a = std::get_if<CreateAccount>(&command); a && !a->sealed_secret.empty()) {
    w.str(a->sealed_secret);
  }
}

bool decode_command(std::string_view payload, CommandBody& command, std::string& request_id,
                    std::int64_t* time_ns) {
  Reader r(payload);
  std::uint8_t kind = 0;
  if (!r.get(kind)) return false;
  auto get_transfer = [&r](Transfer& t) {
    return r.get(t.account.value) && r.str(t.asset) && r.get(t.amount) && r.str(t.reference);
  };
  switch (static_cast<Kind>(kind)) {
    case Kind::Submit:
    case Kind::SubmitWithOptions: {
      SubmitOrder s;
      std::uint8_t side = 0;
      std::uint8_t type = 0;
      std::uint8_t tif = 0;
      if (!r.get(s.account.value) || !r.get(s.symbol) || !r.get(side) || !r.get(type) ||
          !r.get(tif) || !r.get(s.price) || !r.get(s.qty) || !r.get(s.client_token) ||
          !r.str(s.client_order_id)) {
        return false;
      }
      if (side > 1 || type > 1 || tif > 2) return false;
      if (static_cast<Kind>(kind) == Kind::SubmitWithOptions) {
        std::uint8_t post_only = 0;
        if (!r.get(post_only) || post_only > 1 || !r.get(s.quote_qty)) return false;
        s.post_only = post_only != 0;
      }
      s.side = static_cast<Side>(side);
      s.type = static_cast<OrderType>(type);
      s.tif = static_cast<TimeInForce>(tif);
      command = std::move(s);
      break;
    }
    case Kind::Cancel: {
      CancelRequest c;
      if (!r.get(c.account.value) || !r.get(c.order_id.value)) return false;
      command = c;
      break;
    }
    case Kind::CreateAccount: {
      CreateAccount a;
      if (!r.str(a.name) || !r.str(a.key_hash)) return false;
      command = std::move(a);
      break;
    }
    case Kind::Deposit: {
      Deposit d;
      if (!get_transfer(d)) return false;
      command = std::move(d);
      break;
    }
    case Kind::Withdraw: {
      Withdraw wd;
      if (!get_transfer(wd)) return false;
      command = std::move(wd);
      break;
    }
    default:
      return false;
  }
  if (!r.str(request_id)) return false;
  std::int64_t time = 0;
  if (!r.done() && !r.get(time)) return false;  // absent in records from before 0.3
  if (time_ns != nullptr) *time_ns = time;
  // An account's sealed API secret, in records from 0.4 on (and only if it has one).
  if (auto* a = std::get_if<CreateAccount>(&command); a && !r.done()) {
    if (!r.str(a->sealed_secret)) return false;
  }
  return r.done();
}

}  // namespace spot::journal
