// qfcodec: QuickFIX C++ (1.15) codec timings for Tandem's benchmark report.
//
//   qfcodec --dictionary FIX44.xml [--rounds R] [--batch-ms MS] [--warmup-ms MS]
//
// Reads benchmark cases from stdin, one per line: `NAME<TAB>MODES<TAB>MESSAGE`, where MESSAGE is
// a complete FIX message (SOH-delimited, no newline in it) and MODES holds any of:
//
//   p  parse: Message::setString(text, false, &dd) — fields and repeating groups read with the
//      dictionary, as a QuickFIX session reads what it receives (BodyLength and CheckSum are not
//      checked, like Tandem's decodeMessage)
//   v  parse + validate: the same, then DataDictionary::validate(message) (header, body, trailer,
//      required fields, formats, enums, group counts)
//   e  encode from values: a fresh Message, MsgType and every header and body field set from
//      prepared strings (MsgSeqNum as an int that increases like Tandem's bench does), then
//      toString() into a reused std::string; only for messages without repeating groups
//
// Every case is timed the way tests/bench/_stats.ts timeInterleaved() times Tandem's: batches
// calibrated to about --batch-ms, a warm-up until each case ran --warmup-ms, then --rounds rounds
// each running one batch of every case in turn; the figure is the median ns per operation. One
// JSON line per case on stdout: {"name":NAME,"mode":"parse"|"validate"|"encode","ns":N}.
// Exit code 0, or 1 with a message on stderr when a message does not parse or validate.

#include <quickfix/DataDictionary.h>
#include <quickfix/Exceptions.h>
#include <quickfix/Message.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace {

struct Case {
  std::string name;
  std::string mode;
  std::function<void(long)> run;
};

double nowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

volatile size_t sink = 0;

std::vector<std::pair<int, std::string>> splitFields(const std::string& text) {
  std::vector<std::pair<int, std::string>> out;
  size_t p = 0;
  while (p < text.size()) {
    size_t eq = text.find('=', p);
    size_t soh = text.find('\x01', eq);
    if (eq == std::string::npos || soh == std::string::npos) break;
    out.emplace_back(std::atoi(text.substr(p, eq - p).c_str()), text.substr(eq + 1, soh - eq - 1));
    p = soh + 1;
  }
  return out;
}

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "qfcodec: " << what << std::endl;
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dictionaryPath;
  int rounds = 30;
  double batchMs = 4;
  double warmupMs = 300;
  for (int i = 1; i < argc; i++) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail("missing value for " + flag);
      return argv[++i];
    };
    if (flag == "--dictionary") dictionaryPath = value();
    else if (flag == "--rounds") rounds = std::atoi(value().c_str());
    else if (flag == "--batch-ms") batchMs = std::atof(value().c_str());
    else if (flag == "--warmup-ms") warmupMs = std::atof(value().c_str());
    else fail("unknown flag " + flag);
  }
  if (dictionaryPath.empty()) fail("--dictionary is required");
  static FIX::DataDictionary dd;
  try {
    dd.readFromURL(dictionaryPath);
  } catch (std::exception& e) {
    fail("cannot read dictionary " + dictionaryPath + ": " + e.what());
  }

  std::vector<Case> cases;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    size_t t1 = line.find('\t');
    size_t t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) fail("bad input line: " + line);
    const std::string name = line.substr(0, t1);
    const std::string modes = line.substr(t1 + 1, t2 - t1 - 1);
    const std::string text = line.substr(t2 + 1);
    try {
      FIX::Message check;
      check.setString(text, false, &dd);
      dd.validate(check);
    } catch (std::exception& e) {
      fail("message " + name + " does not parse and validate: " + e.what());
    }
    if (modes.find('p') != std::string::npos) {
      cases.push_back({name, "parse", [text](long n) {
                         for (long i = 0; i < n; i++) {
                           FIX::Message m;
                           m.setString(text, false, &dd);
                           sink += m.totalFields();
                         }
                       }});
    }
    if (modes.find('v') != std::string::npos) {
      cases.push_back({name, "validate", [text](long n) {
                         for (long i = 0; i < n; i++) {
                           FIX::Message m;
                           m.setString(text, false, &dd);
                           dd.validate(m);
                           sink += m.totalFields();
                         }
                       }});
    }
    if (modes.find('e') != std::string::npos) {
      std::vector<std::pair<int, std::string>> header;
      std::vector<std::pair<int, std::string>> body;
      std::string msgType;
      for (auto& f : splitFields(text)) {
        if (f.first == 8 || f.first == 9 || f.first == 10 || f.first == 34) continue;
        if (f.first == 35) msgType = f.second;
        else if (dd.isHeaderField(f.first)) header.push_back(f);
        else body.push_back(f);
      }
      const std::string begin = dd.getVersion();
      auto out = std::make_shared<std::string>();
      auto seq = std::make_shared<int>(1);
      cases.push_back({name, "encode", [=](long n) {
                         for (long i = 0; i < n; i++) {
                           FIX::Message m;
                           FIX::Header& h = m.getHeader();
                           h.setField(FIX::BeginString(begin));
                           h.setField(FIX::MsgType(msgType));
                           h.setField(FIX::MsgSeqNum((*seq)++));
                           for (auto& f : header) h.setField(f.first, f.second);
                           for (auto& f : body) m.setField(f.first, f.second);
                           m.toString(*out);
                           sink += out->size();
                         }
                       }});
    }
  }
  if (cases.empty()) fail("no cases on stdin");

  auto calibrate = [&](Case& c) -> long {
    long n = 1;
    for (;;) {
      double t0 = nowMs();
      c.run(n);
      double ms = nowMs() - t0;
      if (ms >= batchMs / 4 || n >= (1L << 24)) {
        return std::max(1L, static_cast<long>(n * batchMs / std::max(ms, 1e-6)));
      }
      n *= 4;
    }
  };
  std::vector<long> sizes;
  for (auto& c : cases) sizes.push_back(calibrate(c));
  auto batch = [&](size_t k) -> double {
    double t0 = nowMs();
    cases[k].run(sizes[k]);
    return (nowMs() - t0) * 1e6 / sizes[k];
  };
  std::vector<double> warm(cases.size(), 0);
  for (bool more = true; more;) {
    more = false;
    for (size_t k = 0; k < cases.size(); k++) {
      if (warm[k] >= warmupMs) continue;
      warm[k] += batch(k) * sizes[k] / 1e6;
      more = true;
    }
  }
  std::vector<std::vector<double>> samples(cases.size());
  for (int r = 0; r < rounds; r++) {
    for (size_t k = 0; k < cases.size(); k++) samples[k].push_back(batch(k));
  }
  for (size_t k = 0; k < cases.size(); k++) {
    auto& s = samples[k];
    std::sort(s.begin(), s.end());
    // nearest-rank median, as _stats.ts median()
    size_t i = s.size() == 0 ? 0 : (s.size() + 1) / 2 - 1;
    std::printf("{\"name\":\"%s\",\"mode\":\"%s\",\"ns\":%.1f}\n", cases[k].name.c_str(),
                cases[k].mode.c_str(), s.empty() ? 0.0 : s[i]);
  }
  return 0;
}
