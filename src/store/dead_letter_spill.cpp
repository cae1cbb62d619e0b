#include "spot/store/dead_letter_spill.h"

#include <nlohmann/json.hpp>

#include "spot/journal/codec.h"

namespace spot {

namespace {

using nlohmann::json;

constexpr std::size_t kHeaderBytes = 8;

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

json to_json(const DeadLetter& d) {
  return json{{"idempotency_key", d.idempotency_key},
              {"journal_seq", d.journal_seq},
              {"entity", d.entity},
              {"entity_id", d.entity_id},
              {"correlation_id", d.correlation_id},
              {"payload", d.payload},
              {"error_class", d.error_class},
              {"sqlstate", d.sqlstate},
              {"message", d.message},
              {"failed_at_us", d.failed_at_us}};
}

bool from_json(const json& j, DeadLetter* d) {
  try {
    d->idempotency_key = j.at("idempotency_key").get<std::string>();
    d->journal_seq = j.at("journal_seq").get<std::uint64_t>();
    d->entity = j.at("entity").get<std::string>();
    d->entity_id = j.at("entity_id").get<std::uint64_t>();
    d->correlation_id = j.at("correlation_id").get<std::string>();
    d->payload = j.at("payload").get<std::string>();
    d->error_class = j.at("error_class").get<std::string>();
    d->sqlstate = j.at("sqlstate").get<std::string>();
    d->message = j.at("message").get<std::string>();
    d->failed_at_us = j.at("failed_at_us").get<std::int64_t>();
  } catch (const json::exception&) {
    return false;
  }
  return true;
}

}  // namespace

std::string encode_spill_record(const DeadLetter& letter) {
  // Invalid UTF-8 (a message from the server, a name) is replaced, never refused.
  const std::string body = to_json(letter).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(kHeaderBytes + body.size());
  put_u32(out, static_cast<std::uint32_t>(body.size()));
  put_u32(out, journal::crc32c(body));
  out += body;
  return out;
}

Status decode_spill_records(std::string_view bytes, std::vector<DeadLetter>* out,
                            std::size_t* used) {
  out->clear();
  std::size_t at = 0;
  while (bytes.size() - at >= kHeaderBytes) {
    const std::uint32_t length = get_u32(bytes.substr(at));
    const std::uint32_t crc = get_u32(bytes.substr(at + 4));
    if (bytes.size() - at - kHeaderBytes < length) break;  // torn tail
    const std::string_view body = bytes.substr(at + kHeaderBytes, length);
    const std::size_t end = at + kHeaderBytes + length;
    DeadLetter letter;
    const json j = json::parse(body, nullptr, false);
    if (journal::crc32c(body) != crc || j.is_discarded() || !from_json(j, &letter)) {
      if (end >= bytes.size()) break;  // a torn last record
      *used = at;
      return Status::corruption("dead-letter spill: record at byte " + std::to_string(at) +
                                " is damaged");
    }
    out->push_back(std::move(letter));
    at = end;
  }
  *used = at;
  return Status();
}

DeadLetterSpill::DeadLetterSpill(FileSystem& fs, std::string dir)
    : fs_(fs),
      dir_(std::move(dir)),
      path_(dir_ + "/" + kDeadLetterSpillName),
      draining_path_(path_ + ".draining") {}

Status DeadLetterSpill::read_whole(const std::string& path, std::vector<DeadLetter>* out) {
  std::string bytes;
  Status s = fs_.read_file(path, &bytes);
  if (s.code() == StatusCode::NotFound) {
    out->clear();
    return Status();
  }
  if (!s.ok()) return s;
  std::size_t used = 0;
  s = decode_spill_records(bytes, out, &used);
  if (!s.ok()) return Status::corruption(path + ": " + s.message());
  // A torn tail goes, so that the next append starts on a record boundary.
  if (used < bytes.size()) return fs_.truncate(path, used);
  return Status();
}

Status DeadLetterSpill::open() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<DeadLetter> letters;
  Status s = read_whole(path_, &letters);
  if (!s.ok()) return s;
  appended_ = letters.size();
  s = read_whole(draining_path_, &letters);
  if (!s.ok()) return s;
  draining_ = letters.size();
  return Status();
}

Status DeadLetterSpill::append(const DeadLetter& letter) {
  const std::string record = encode_spill_record(letter);
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<AppendFile> file;
  Status s = fs_.open_append(path_, &file);
  if (!s.ok()) return s;
  s = file->append(record);
  if (s.ok()) s = file->sync();
  if (s.ok() && appended_ == 0) s = fs_.sync_dir(dir_);  // the file may be new
  if (!s.ok()) {
    // Nothing half-written may stay in front of the next append: cut the file back to
    // its whole records (what the next open would do).
    std::vector<DeadLetter> whole;
    (void)read_whole(path_, &whole);
    return s;
  }
  ++appended_;
  return Status();
}

Status DeadLetterSpill::take(std::vector<DeadLetter>* out) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (draining_ == 0 && appended_ > 0) {
    Status s = fs_.rename(path_, draining_path_);
    if (!s.ok()) return s;
    s = fs_.sync_dir(dir_);
    if (!s.ok()) return s;
    draining_ = appended_;
    appended_ = 0;
  }
  if (draining_ == 0) {
    out->clear();
    return Status();
  }
  return read_whole(draining_path_, out);
}

Status DeadLetterSpill::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  Status s = fs_.remove(draining_path_);
  if (!s.ok()) return s;
  s = fs_.sync_dir(dir_);
  draining_ = 0;
  return s;
}

std::size_t DeadLetterSpill::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return appended_ + draining_;
}

}  // namespace spot
