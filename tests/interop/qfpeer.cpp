// qfpeer: a QuickFIX C++ (1.15) counterparty for Tandem's interoperability tests.
//
// One program, two roles:
//
//   qfpeer initiator --port P [--host 127.0.0.1] --begin FIX.4.4 --sender CLIENT --target TANDEM
//                    --orders N --data-dir DIR [--disconnect-after K] [--window W] ...
//     Logs on, sends N NewOrderSingle (ClOrdID "ORD-<i>", i = 1..N; prefix set by --id-prefix) keeping at most W orders
//     without their fill, and expects for every order exactly one ExecutionReport with
//     OrdStatus=0 (New) and one with OrdStatus=2 (Filled). After the K-th order it drops the TCP
//     connection once without a Logout, submits M more orders (--send-while-down, default 10)
//     while disconnected (QuickFIX persists them and consumes their sequence numbers) and
//     reconnects with the persisted
//     sequence numbers, so both sides must recover with ResendRequest / PossDup resends /
//     SequenceReset-GapFill. When every order is filled it logs out, waits for the Logout answer,
//     prints one JSON summary line on stdout and exits 0 (1 on any anomaly or on timeout).
//
//   qfpeer acceptor --port P --begin FIX.4.4 --sender VENUE --target TANDEM --data-dir DIR
//                   [--disconnect-after K] [--exit-on-logout] [--threaded [--store memory]]
//     Listens, prints {"listening":P} once the port is bound, answers every NewOrderSingle with an
//     ExecutionReport New then Filled (a ClOrdID seen before is counted as a duplicate and not
//     answered again), optionally drops the connection once after the K-th order, and prints one
//     JSON summary line on exit: on SIGTERM/SIGINT (after logging out a logged-on session), or,
//     with --exit-on-logout, after the first Logout the counterparty initiates. With
//     --refresh-on-logon QuickFIX reloads the store at each Logon, so a standby acceptor sharing
//     DIR with a failed one continues its session (a venue-side failover for Tandem's initiator).
//     With --threaded (the benchmark's peer) QuickFIX's ThreadedSocketAcceptor serves instead of
//     the poll loop below, and --store memory replaces the file store.
//
// stdout carries only JSON lines: event lines ({"event":"logon",...}), the listening line and the
// final summary (the only line with an "ok" key). Human-readable diagnostics go to stderr; the
// QuickFIX message and event logs go to DIR/log, the message store to DIR/store, and the
// generated QuickFIX settings file to DIR/qfpeer.cfg.
//
// Everything runs on one thread: QuickFIX's SocketInitiator/SocketAcceptor are driven with
// poll() from our own loop, so callbacks, sends and the forced disconnect never race. QuickFIX's
// poll() does a zero-timeout select, so the loop sleeps briefly when a round did nothing.

#include <quickfix/Application.h>
#include <quickfix/DataDictionary.h>
#include <quickfix/Exceptions.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/MessageStore.h>
#include <quickfix/ThreadedSocketAcceptor.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/Values.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

volatile std::sig_atomic_t g_signal = 0;

void onSignal(int sig) { g_signal = sig; }

long long nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

long long wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\x01': out += "|"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// Builds one JSON object line field by field.
class JsonLine {
 public:
  JsonLine& num(const std::string& key, long long value) {
    add(key, std::to_string(value));
    return *this;
  }
  JsonLine& str(const std::string& key, const std::string& value) {
    add(key, jsonString(value));
    return *this;
  }
  JsonLine& boolean(const std::string& key, bool value) {
    add(key, value ? "true" : "false");
    return *this;
  }
  void print() const {
    std::cout << "{" << body_ << "}" << std::endl;
  }

 private:
  void add(const std::string& key, const std::string& raw) {
    if (!body_.empty()) body_ += ",";
    body_ += jsonString(key) + ":" + raw;
  }
  std::string body_;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "qfpeer: " << why << "\n"
            << "usage: qfpeer initiator --port P [--host H] --begin BS --sender ID --target ID\n"
            << "                        --orders N --data-dir DIR [--disconnect-after K]\n"
            << "                        [--window W] [--send-while-down M] [--max-duplicates D]\n"
            << "                        [--timeout-s S] [--id-prefix ORD-]\n"
            << "       qfpeer acceptor --port P --begin BS --sender ID --target ID --data-dir DIR\n"
            << "                       [--disconnect-after K] [--exit-on-logout]\n"
            << "                       [--max-duplicates D] [--threaded [--store memory|file]]\n"
            << "common: [--dictionary PATH] [--transport-dictionary PATH] [--spec-dir DIR]\n"
            << "        [--appl-ver FIX.5.0SP2] [--heartbeat-s S] [--log file|none]\n"
            << "        [--reconnect-interval-s S] [--refresh-on-logon]\n";
  std::exit(2);
}

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string beginString = "FIX.4.4";
  std::string sender;
  std::string target;
  std::string dataDir;
  std::string dictionary;
  std::string transportDictionary;
  std::string specDir;
  std::string applVer = "FIX.5.0SP2";
  std::string idPrefix = "ORD-";
  long orders = 0;
  long disconnectAfter = 0;
  long window = 100;
  long sendWhileDown = 10;
  long maxDuplicates = 0;
  long timeoutS = 120;
  long heartbeatS = 30;
  long reconnectIntervalS = 1;
  bool exitOnLogout = false;
  bool refreshOnLogon = false;
  bool fileLog = true;
  bool memoryStore = false;
  bool threaded = false;
};

long parseLong(const std::string& flag, const std::string& value, long min, long max) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || v < min || v > max) {
    usage("Cannot parse " + flag + " '" + value + "': expected an integer in [" +
          std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

// The QuickFIX dictionary file name for a BeginString (FIXT: the application version).
std::string specFileFor(const std::string& version) {
  static const std::map<std::string, std::string> files = {
      {"FIX.4.0", "FIX40.xml"},     {"FIX.4.1", "FIX41.xml"},
      {"FIX.4.2", "FIX42.xml"},     {"FIX.4.3", "FIX43.xml"},
      {"FIX.4.4", "FIX44.xml"},     {"FIX.5.0", "FIX50.xml"},
      {"FIX.5.0SP1", "FIX50SP1.xml"}, {"FIX.5.0SP2", "FIX50SP2.xml"},
      {"FIXT.1.1", "FIXT11.xml"},
  };
  auto it = files.find(version);
  if (it == files.end()) usage("unsupported version " + version);
  return it->second;
}

Options parseArgs(int argc, char** argv) {
  if (argc < 2) usage("missing mode");
  Options o;
  o.mode = argv[1];
  if (o.mode != "initiator" && o.mode != "acceptor") usage("unknown mode " + o.mode);
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + flag);
      return argv[++i];
    };
    if (flag == "--host") o.host = value();
    else if (flag == "--port") o.port = static_cast<int>(parseLong(flag, value(), 1, 65535));
    else if (flag == "--begin") o.beginString = value();
    else if (flag == "--sender") o.sender = value();
    else if (flag == "--target") o.target = value();
    else if (flag == "--data-dir") o.dataDir = value();
    else if (flag == "--dictionary") o.dictionary = value();
    else if (flag == "--transport-dictionary") o.transportDictionary = value();
    else if (flag == "--spec-dir") o.specDir = value();
    else if (flag == "--appl-ver") o.applVer = value();
    else if (flag == "--id-prefix") o.idPrefix = value();
    else if (flag == "--orders") o.orders = parseLong(flag, value(), 0, 100000000);
    else if (flag == "--disconnect-after") o.disconnectAfter = parseLong(flag, value(), 0, 100000000);
    else if (flag == "--window") o.window = parseLong(flag, value(), 1, 1000000);
    else if (flag == "--send-while-down") o.sendWhileDown = parseLong(flag, value(), 0, 1000000);
    else if (flag == "--max-duplicates") o.maxDuplicates = parseLong(flag, value(), 0, 100000000);
    else if (flag == "--timeout-s") o.timeoutS = parseLong(flag, value(), 1, 86400);
    else if (flag == "--heartbeat-s") o.heartbeatS = parseLong(flag, value(), 1, 3600);
    else if (flag == "--reconnect-interval-s") o.reconnectIntervalS = parseLong(flag, value(), 1, 3600);
    else if (flag == "--exit-on-logout") o.exitOnLogout = true;
    else if (flag == "--refresh-on-logon") o.refreshOnLogon = true;
    else if (flag == "--threaded") o.threaded = true;
    else if (flag == "--store") {
      std::string v = value();
      if (v != "file" && v != "memory") usage("--store must be file or memory");
      o.memoryStore = v == "memory";
    }
    else if (flag == "--log") {
      std::string v = value();
      if (v != "file" && v != "none") usage("--log must be file or none");
      o.fileLog = v == "file";
    } else usage("unknown flag " + flag);
  }
  if (o.port == 0) usage("--port is required");
  if (o.sender.empty() || o.target.empty()) usage("--sender and --target are required");
  if (o.dataDir.empty()) usage("--data-dir is required");
  if (o.mode == "initiator" && o.orders <= 0) usage("--orders must be positive");
  bool fixt = o.beginString == "FIXT.1.1";
  specFileFor(o.beginString);
  if (o.dictionary.empty()) {
    if (o.specDir.empty()) usage("--dictionary or --spec-dir is required");
    o.dictionary = o.specDir + "/" + specFileFor(fixt ? o.applVer : o.beginString);
  }
  if (fixt && o.transportDictionary.empty()) {
    if (o.specDir.empty()) usage("--transport-dictionary or --spec-dir is required for FIXT.1.1");
    o.transportDictionary = o.specDir + "/FIXT11.xml";
  }
  return o;
}

void mkdirs(const std::string& path) {
  std::string partial;
  std::stringstream ss(path);
  std::string part;
  if (!path.empty() && path[0] == '/') partial = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    partial += part + "/";
    ::mkdir(partial.c_str(), 0755);
  }
}

// Writes DIR/qfpeer.cfg for one session and returns its path.
std::string writeSettings(const Options& o) {
  mkdirs(o.dataDir);
  std::string path = o.dataDir + "/qfpeer.cfg";
  std::ofstream f(path);
  bool fixt = o.beginString == "FIXT.1.1";
  f << "[DEFAULT]\n"
    << "ConnectionType=" << o.mode << "\n"
    << "FileStorePath=" << o.dataDir << "/store\n"
    << "FileLogPath=" << o.dataDir << "/log\n"
    << "StartTime=00:00:00\n"
    << "EndTime=00:00:00\n"
    << "HeartBtInt=" << o.heartbeatS << "\n"
    << "ReconnectInterval=" << o.reconnectIntervalS << "\n"
    << "SocketNodelay=Y\n"
    << "SocketReuseAddress=Y\n"
    << "UseDataDictionary=Y\n"
    << "ResetOnLogon=N\n"
    << "ResetOnLogout=N\n"
    << "ResetOnDisconnect=N\n"
    << "RefreshOnLogon=" << (o.refreshOnLogon ? "Y" : "N") << "\n"
    << "PersistMessages=Y\n"
    << "ValidateUserDefinedFields=Y\n"
    << "ValidateFieldsOutOfOrder=Y\n"
    << "ValidateFieldsHaveValues=Y\n"
    << "ValidateLengthAndChecksum=Y\n"
    << "CheckLatency=Y\n"
    << "MaxLatency=120\n"
    << "LogonTimeout=10\n"
    << "LogoutTimeout=5\n"
    << "\n[SESSION]\n"
    << "BeginString=" << o.beginString << "\n"
    << "SenderCompID=" << o.sender << "\n"
    << "TargetCompID=" << o.target << "\n";
  if (fixt) {
    f << "DefaultApplVerID=" << o.applVer << "\n"
      << "TransportDataDictionary=" << o.transportDictionary << "\n"
      << "AppDataDictionary=" << o.dictionary << "\n";
  } else {
    f << "DataDictionary=" << o.dictionary << "\n";
  }
  if (o.mode == "initiator") {
    f << "SocketConnectHost=" << o.host << "\n"
      << "SocketConnectPort=" << o.port << "\n";
  } else {
    f << "SocketAcceptPort=" << o.port << "\n";
  }
  f.close();
  if (!f) throw FIX::ConfigError("Cannot write " + path);
  return path;
}

std::string headerField(const FIX::Message& m, int tag) {
  return m.getHeader().isSetField(tag) ? m.getHeader().getField(tag) : std::string();
}

std::string bodyField(const FIX::Message& m, int tag) {
  return m.isSetField(tag) ? m.getField(tag) : std::string();
}

bool isPossDup(const FIX::Message& m) { return headerField(m, FIX::FIELD::PossDupFlag) == "Y"; }

// Session events QuickFIX only reports to its log (no Application callback), counted for the
// summary: a counterparty that logs on or sends with a MsgSeqNum lower than expected (and no
// PossDup) is refused with "MsgSeqNum too low"; that is the failure a gateway restarted from
// nothing, or a standby missing messages, causes. Shared by every session log, hence atomic (the
// threaded acceptor logs from its connection threads).
struct LogCounts {
  std::atomic<long> seqTooLow{0};
  std::mutex mutex;
  std::string firstTooLow;
};

// Counters and checks shared by both roles; the role classes add their own.
class PeerApp : public FIX::Application {
 public:
  explicit PeerApp(const Options& o) : o_(o) {}

  // Takes the application dictionary the session itself loaded (parsing FIX50SP2.xml takes
  // seconds, so it is not loaded twice).
  void bindDictionary() {
    FIX::Session* s = session();
    if (!s) throw FIX::ConfigError("Cannot find the session " + sessionId_.toString());
    const FIX::DataDictionaryProvider& p = s->getDataDictionaryProvider();
    dd_ = o_.beginString == "FIXT.1.1"
              ? &p.getApplicationDataDictionary(FIX::Message::toApplVerID(FIX::BeginString(o_.applVer)))
              : &p.getSessionDataDictionary(FIX::BeginString(o_.beginString));
  }

  void onCreate(const FIX::SessionID& id) override { sessionId_ = id; }

  void onLogon(const FIX::SessionID&) override {
    ++activity_;
    ++logons_;
    loggedOn_ = true;
    everLoggedOn_ = true;
    logoutReceived_ = false;
    event("logon");
  }

  void onLogout(const FIX::SessionID&) override {
    ++activity_;
    // QuickFIX also reports a Logon attempt that never got an answer (e.g. connection refused)
    // as a logout; only a session that was logged on counts.
    if (!loggedOn_) return;
    ++logouts_;
    loggedOn_ = false;
    lastLogoutClean_ = logoutReceived_;
    event(logoutReceived_ ? "logout" : "disconnect");
  }

  void toAdmin(FIX::Message& m, const FIX::SessionID&) override {
    ++activity_;
    std::string type = headerField(m, FIX::FIELD::MsgType);
    if (type == "2") ++resendRequestsSent_;
    if (type == "4") ++sequenceResetsSent_;
    if (type == "3") {
      ++rejectsSent_;
      anomaly("sent session Reject: " + m.toString());
    }
  }

  void toApp(FIX::Message& m, const FIX::SessionID&) throw(FIX::DoNotSend) override {
    ++activity_;
    if (isPossDup(m)) ++appResent_;
    if (headerField(m, FIX::FIELD::MsgType) == "j") {
      anomaly("sent BusinessMessageReject: " + m.toString());
    }
  }

  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::RejectLogon) override {
    ++activity_;
    std::string type = headerField(m, FIX::FIELD::MsgType);
    if (type == "2") ++resendRequestsSeen_;
    else if (type == "4") {
      ++sequenceResetsSeen_;
      // GapFill skips administrative messages; a Reset (no GapFillFlag) moves the numbers by hand.
      if (bodyField(m, FIX::FIELD::GapFillFlag) == "Y") ++gapFillsSeen_;
      else ++hardSequenceResetsSeen_;
    }
    else if (type == "3") {
      ++rejectsSeen_;
      anomaly("received session Reject: " + m.toString());
    } else if (type == "5") {
      logoutReceived_ = true;
      logoutText_ = bodyField(m, FIX::FIELD::Text);
    } else if (type == "A" && bodyField(m, FIX::FIELD::ResetSeqNumFlag) == "Y") {
      ++resetLogonsSeen_;
      lastAppSeqIn_ = 0;  // the counterparty restarted the sequence numbers at 1
    }
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    ++activity_;
    if (isPossDup(m)) ++possDupReceived_;
    // QuickFIX hands application messages over strictly in sequence order (gaps are recovered
    // and queued messages replayed first), so MsgSeqNum must increase from one to the next.
    long seq = std::atol(headerField(m, FIX::FIELD::MsgSeqNum).c_str());
    if (seq <= lastAppSeqIn_) {
      anomaly("application MsgSeqNum " + std::to_string(seq) + " after " +
              std::to_string(lastAppSeqIn_));
    }
    lastAppSeqIn_ = seq;
    std::string type = headerField(m, FIX::FIELD::MsgType);
    if (type == "j") anomaly("received BusinessMessageReject: " + m.toString());
    onApp(type, m);
  }

  virtual void onApp(const std::string& type, const FIX::Message& m) = 0;

  // Records the first anomaly (the summary's reason); later ones only go to stderr, a few.
  void anomaly(const std::string& why) {
    if (failure_.empty()) failure_ = why;
    if (++anomalies_ <= 10) std::cerr << "qfpeer: anomaly: " << why << std::endl;
  }

  FIX::Session* session() const { return FIX::Session::lookupSession(sessionId_); }

  std::string firstTooLow() const {
    std::lock_guard<std::mutex> lock(logCounts_.mutex);
    return logCounts_.firstTooLow;
  }

  // Adds the counters common to both roles to a summary line.
  void common(JsonLine& j) const {
    FIX::Session* s = session();
    j.num("possDupReceived", possDupReceived_)
        .num("appMessagesResent", appResent_)
        .num("resendRequestsSeen", resendRequestsSeen_)
        .num("resendRequestsSent", resendRequestsSent_)
        .num("sequenceResetsSeen", sequenceResetsSeen_)
        .num("sequenceResetsSent", sequenceResetsSent_)
        .num("rejectsSeen", rejectsSeen_)
        .num("rejectsSent", rejectsSent_)
        .num("gapFillsSeen", gapFillsSeen_)
        .num("hardSequenceResetsSeen", hardSequenceResetsSeen_)
        .num("resetLogonsSeen", resetLogonsSeen_)
        .num("seqTooLow", logCounts_.seqTooLow.load())
        .str("seqTooLowText", firstTooLow())
        .num("logons", logons_)
        .num("logouts", logouts_)
        .num("nextSenderSeq", s ? s->getExpectedSenderNum() : 0)
        .num("nextTargetSeq", s ? s->getExpectedTargetNum() : 0);
  }

  void event(const std::string& name) const {
    JsonLine j;
    j.str("event", name);
    FIX::Session* s = session();
    j.num("nextSenderSeq", s ? s->getExpectedSenderNum() : 0)
        .num("nextTargetSeq", s ? s->getExpectedTargetNum() : 0);
    if (name == "logout" && !logoutText_.empty()) j.str("text", logoutText_);
    j.print();
  }

  const Options& o_;
  const FIX::DataDictionary* dd_ = nullptr;
  FIX::SessionID sessionId_;
  unsigned long long activity_ = 0;
  bool loggedOn_ = false;
  bool everLoggedOn_ = false;
  bool logoutReceived_ = false;
  bool lastLogoutClean_ = false;
  std::string logoutText_;
  std::string failure_;
  long anomalies_ = 0;
  long lastAppSeqIn_ = 0;
  long logons_ = 0, logouts_ = 0;
  long possDupReceived_ = 0, appResent_ = 0;
  long resendRequestsSeen_ = 0, resendRequestsSent_ = 0;
  long sequenceResetsSeen_ = 0, sequenceResetsSent_ = 0;
  long rejectsSeen_ = 0, rejectsSent_ = 0;
  long gapFillsSeen_ = 0, hardSequenceResetsSeen_ = 0, resetLogonsSeen_ = 0;
  mutable LogCounts logCounts_;
};

// Sets a body field only when the dictionary defines it for the message type, so one builder
// serves FIX 4.0 to 5.0SP2 (e.g. ExecTransType exists up to 4.2, HandlInst is optional in 4.4).
void setIfDefined(const FIX::DataDictionary& dd, FIX::Message& m, const std::string& type,
                  int tag, const std::string& value) {
  if (dd.isMsgField(type, tag)) m.setField(tag, value);
}

class InitiatorApp : public PeerApp {
 public:
  explicit InitiatorApp(const Options& o)
      : PeerApp(o), reports_(static_cast<size_t>(o.orders) + 1, 0) {}

  void onApp(const std::string& type, const FIX::Message& m) override {
    if (type != "8") {
      anomaly("unexpected application message " + type);
      return;
    }
    std::string clOrdId = bodyField(m, FIX::FIELD::ClOrdID);
    std::string execId = bodyField(m, FIX::FIELD::ExecID);
    std::string status = bodyField(m, FIX::FIELD::OrdStatus);
    long i = 0;
    const std::string& prefix = o_.idPrefix;
    if (clOrdId.rfind(prefix, 0) == 0) i = std::atol(clOrdId.c_str() + prefix.size());
    if (i <= 0 || i > ordersSent_ || prefix + std::to_string(i) != clOrdId) {
      anomaly("ExecutionReport for unknown ClOrdID '" + clOrdId + "'");
      return;
    }
    unsigned char bit = status == "0" ? 1 : status == "2" ? 2 : 0;
    if (bit == 0) {
      anomaly("ExecutionReport " + execId + " with unexpected OrdStatus '" + status + "'");
      return;
    }
    bool seenExec = !execIds_.insert(execId).second;
    unsigned char& flags = reports_[static_cast<size_t>(i)];
    if (seenExec || (flags & bit)) {
      ++duplicates_;
      if (duplicates_ <= 10) {
        std::cerr << "qfpeer: duplicate ExecutionReport " << execId << " for " << clOrdId
                  << (isPossDup(m) ? " (PossDup)" : "") << std::endl;
      }
      if (duplicates_ > o_.maxDuplicates) anomaly("duplicate ExecutionReport " + execId);
      return;
    }
    if (bit == 2 && !(flags & 1)) {
      anomaly("Filled before New for " + clOrdId);
    }
    flags |= bit;
    ++execsReceived_;
    if (flags == 3) ++completed_;
  }

  FIX::Message newOrder(long i) const {
    const std::string t = "D";
    FIX::Message m;
    m.getHeader().setField(FIX::MsgType(t));
    m.setField(FIX::FIELD::ClOrdID, o_.idPrefix + std::to_string(i));
    setIfDefined(*dd_, m, t, FIX::FIELD::HandlInst, "1");
    setIfDefined(*dd_, m, t, FIX::FIELD::Symbol, "TNDM");
    setIfDefined(*dd_, m, t, FIX::FIELD::Side, "1");
    if (dd_->isMsgField(t, FIX::FIELD::TransactTime)) {
      m.setField(FIX::TransactTime(FIX::UtcTimeStamp(), 3));
    }
    setIfDefined(*dd_, m, t, FIX::FIELD::OrderQty, "100");
    setIfDefined(*dd_, m, t, FIX::FIELD::OrdType, "2");
    setIfDefined(*dd_, m, t, FIX::FIELD::Price, "10.25");
    return m;
  }

  std::vector<unsigned char> reports_;  // per order: bit 1 New seen, bit 2 Filled seen
  std::unordered_set<std::string> execIds_;
  long ordersSent_ = 0;
  long execsReceived_ = 0;
  long completed_ = 0;
  long duplicates_ = 0;
};

class AcceptorApp : public PeerApp {
 public:
  explicit AcceptorApp(const Options& o)
      : PeerApp(o), idPrefix_(std::to_string(wallMs())) {}

  void onApp(const std::string& type, const FIX::Message& m) override {
    if (type != "D") {
      anomaly("unexpected application message " + type);
      throw FIX::UnsupportedMessageType();
    }
    std::string clOrdId = bodyField(m, FIX::FIELD::ClOrdID);
    if (!clOrdIds_.insert(clOrdId).second) {
      ++duplicates_;
      if (duplicates_ <= 10) {
        std::cerr << "qfpeer: duplicate NewOrderSingle " << clOrdId
                  << (isPossDup(m) ? " (PossDup), not answered" : ", not answered") << std::endl;
      }
      if (duplicates_ > o_.maxDuplicates) anomaly("duplicate NewOrderSingle " + clOrdId);
      return;
    }
    ++ordersReceived_;
    std::string orderId = "Q" + idPrefix_ + "-" + std::to_string(ordersReceived_);
    report(m, orderId, false);
    report(m, orderId, true);
    if (o_.disconnectAfter > 0 && ordersReceived_ == o_.disconnectAfter && !disconnectDone_) {
      disconnectPending_ = true;
    }
  }

  void report(const FIX::Message& order, const std::string& orderId, bool filled) {
    const std::string t = "8";
    const std::string qty = bodyField(order, FIX::FIELD::OrderQty).empty()
                                ? "100"
                                : bodyField(order, FIX::FIELD::OrderQty);
    const std::string px = bodyField(order, FIX::FIELD::Price).empty()
                               ? "1"
                               : bodyField(order, FIX::FIELD::Price);
    FIX::Message m;
    m.getHeader().setField(FIX::MsgType(t));
    m.setField(FIX::FIELD::OrderID, orderId);
    m.setField(FIX::FIELD::ClOrdID, bodyField(order, FIX::FIELD::ClOrdID));
    m.setField(FIX::FIELD::ExecID, "X" + idPrefix_ + "-" + std::to_string(++execsSent_));
    setIfDefined(*dd_, m, t, FIX::FIELD::ExecTransType, "0");
    // ExecType: 0 New; fills are 2 (Fill) up to FIX 4.2 and F (Trade) from FIX 4.3 on.
    std::string fill = dd_->isFieldValue(FIX::FIELD::ExecType, "F") ? "F" : "2";
    setIfDefined(*dd_, m, t, FIX::FIELD::ExecType, filled ? fill : "0");
    m.setField(FIX::FIELD::OrdStatus, filled ? "2" : "0");
    setIfDefined(*dd_, m, t, FIX::FIELD::Symbol, bodyField(order, FIX::FIELD::Symbol));
    m.setField(FIX::FIELD::Side, bodyField(order, FIX::FIELD::Side));
    setIfDefined(*dd_, m, t, FIX::FIELD::OrderQty, qty);
    setIfDefined(*dd_, m, t, FIX::FIELD::LastQty, filled ? qty : "0");
    setIfDefined(*dd_, m, t, FIX::FIELD::LastPx, filled ? px : "0");
    setIfDefined(*dd_, m, t, FIX::FIELD::LeavesQty, filled ? "0" : qty);
    setIfDefined(*dd_, m, t, FIX::FIELD::CumQty, filled ? qty : "0");
    setIfDefined(*dd_, m, t, FIX::FIELD::AvgPx, filled ? px : "0");
    FIX::Session::sendToTarget(m, sessionId_);
  }

  std::string idPrefix_;
  std::unordered_set<std::string> clOrdIds_;
  long ordersReceived_ = 0;
  long execsSent_ = 0;
  long duplicates_ = 0;
  bool disconnectPending_ = false;
  bool disconnectDone_ = false;
};

// Sleeps after a poll round that produced no callback; a round that did something polls again at
// once. The back-off is capped at 1 ms so latency stays low without spinning a core.
class IdleWait {
 public:
  void after(unsigned long long activity) {
    if (activity != last_) {
      last_ = activity;
      idleRounds_ = 0;
      return;
    }
    if (idleRounds_ < 20) ++idleRounds_;
    ::usleep(static_cast<useconds_t>(50 * idleRounds_));
  }

 private:
  unsigned long long last_ = ~0ULL;
  unsigned idleRounds_ = 0;
};

// Forwards to QuickFIX's file log (when kept) and counts the events of LogCounts.
class CountingLog : public FIX::Log {
 public:
  CountingLog(FIX::Log* inner, LogCounts& counts) : inner_(inner), counts_(counts) {}
  void clear() override { if (inner_) inner_->clear(); }
  void backup() override { if (inner_) inner_->backup(); }
  void onIncoming(const std::string& s) override { if (inner_) inner_->onIncoming(s); }
  void onOutgoing(const std::string& s) override { if (inner_) inner_->onOutgoing(s); }
  void onEvent(const std::string& s) override {
    if (s.find("MsgSeqNum too low") != std::string::npos) {
      if (counts_.seqTooLow++ == 0) {
        std::lock_guard<std::mutex> lock(counts_.mutex);
        counts_.firstTooLow = s;
      }
      std::cerr << "qfpeer: " << s << std::endl;
    }
    if (inner_) inner_->onEvent(s);
  }
  FIX::Log* inner() const { return inner_; }

 private:
  FIX::Log* inner_;
  LogCounts& counts_;
};

class CountingLogFactory : public FIX::LogFactory {
 public:
  CountingLogFactory(std::unique_ptr<FIX::LogFactory> inner, LogCounts& counts)
      : inner_(std::move(inner)), counts_(counts) {}
  FIX::Log* create() override { return new CountingLog(inner_ ? inner_->create() : nullptr, counts_); }
  FIX::Log* create(const FIX::SessionID& id) override {
    return new CountingLog(inner_ ? inner_->create(id) : nullptr, counts_);
  }
  void destroy(FIX::Log* log) override {
    auto* counting = static_cast<CountingLog*>(log);
    if (inner_ && counting->inner()) inner_->destroy(counting->inner());
    delete counting;
  }

 private:
  std::unique_ptr<FIX::LogFactory> inner_;
  LogCounts& counts_;
};

std::unique_ptr<FIX::LogFactory> makeLogFactory(const Options& o,
                                               const FIX::SessionSettings& settings,
                                               LogCounts& counts) {
  std::unique_ptr<FIX::LogFactory> file;
  if (o.fileLog) file.reset(new FIX::FileLogFactory(settings));
  return std::unique_ptr<FIX::LogFactory>(new CountingLogFactory(std::move(file), counts));
}

int runInitiator(const Options& o) {
  FIX::SessionSettings settings(writeSettings(o));
  InitiatorApp app(o);
  FIX::FileStoreFactory store(settings);
  auto logs = makeLogFactory(o, settings, app.logCounts_);
  std::unique_ptr<FIX::SocketInitiator> initiator(
      logs ? new FIX::SocketInitiator(app, store, settings, *logs)
           : new FIX::SocketInitiator(app, store, settings));

  const long long startMs = nowMs();
  const long long deadlineMs = startMs + o.timeoutS * 1000;
  bool disconnectDone = false;
  bool logoutRequested = false;
  long long logoutDeadlineMs = 0;
  IdleWait idle;
  app.bindDictionary();
  FIX::Session* session = app.session();
  initiator->poll(0);
  while (true) {
    if (g_signal != 0 && app.failure_.empty()) {
      app.anomaly("terminated by signal " + std::to_string(g_signal));
    }
    if (!logoutRequested && nowMs() > deadlineMs) {
      app.anomaly("timed out after " + std::to_string(o.timeoutS) + " s with " +
                  std::to_string(app.completed_) + " of " + std::to_string(o.orders) +
                  " orders filled");
    }
    bool done = app.completed_ == o.orders;
    if (!logoutRequested && (done || !app.failure_.empty())) {
      logoutRequested = true;
      logoutDeadlineMs = nowMs() + 10000;
      if (app.loggedOn_) session->logout(done ? "done" : "anomaly");
    }
    if (logoutRequested) {
      if (!app.loggedOn_ || nowMs() > logoutDeadlineMs) break;
    } else if (app.everLoggedOn_) {
      // Orders keep flowing while disconnected after the first logon: QuickFIX stores them and
      // consumes their sequence numbers, and they reach the acceptor as PossDup resends.
      while (app.ordersSent_ < o.orders && app.ordersSent_ - app.completed_ < o.window) {
        FIX::Message order = app.newOrder(app.ordersSent_ + 1);
        ++app.ordersSent_;
        session->send(order);
        ++app.activity_;
        if (!disconnectDone && o.disconnectAfter > 0 && app.ordersSent_ == o.disconnectAfter) {
          disconnectDone = true;
          std::cerr << "qfpeer: dropping the connection after order " << app.ordersSent_
                    << std::endl;
          session->disconnect();
          // Submit a few more orders while the link is down: QuickFIX stores them and consumes
          // their sequence numbers, so the acceptor sees a gap at the next Logon and must ask
          // for them (ResendRequest) and take them as PossDup resends.
          for (long k = 0; k < o.sendWhileDown && app.ordersSent_ < o.orders; ++k) {
            FIX::Message extra = app.newOrder(app.ordersSent_ + 1);
            ++app.ordersSent_;
            session->send(extra);
          }
          break;
        }
      }
    }
    initiator->poll(0);
    idle.after(app.activity_);
  }
  bool cleanLogout = app.lastLogoutClean_ && !app.loggedOn_;
  if (app.failure_.empty() && !cleanLogout) app.anomaly("no Logout answer from the acceptor");
  JsonLine j;
  j.str("role", "initiator")
      .num("ordersSent", app.ordersSent_)
      .num("ordersCompleted", app.completed_)
      .num("execsReceived", app.execsReceived_)
      .num("duplicates", app.duplicates_);
  app.common(j);
  j.num("elapsedMs", nowMs() - startMs).boolean("ok", app.failure_.empty());
  if (!app.failure_.empty()) j.str("reason", app.failure_);
  initiator->stop(true);
  j.print();
  return app.failure_.empty() ? 0 : 1;
}

// The benchmark's acceptor (--threaded): QuickFIX's ThreadedSocketAcceptor, a thread per
// connection blocked in its socket read, the way QuickFIX applications are usually deployed, so
// no poll back-off adds latency; --store memory keeps the store off the disk. It answers orders
// like the polled acceptor; --disconnect-after and --exit-on-logout are not supported here.
int runThreadedAcceptor(const Options& o) {
  FIX::SessionSettings settings(writeSettings(o));
  AcceptorApp app(o);
  std::unique_ptr<FIX::MessageStoreFactory> store(
      o.memoryStore ? static_cast<FIX::MessageStoreFactory*>(new FIX::MemoryStoreFactory())
                    : new FIX::FileStoreFactory(settings));
  auto logs = makeLogFactory(o, settings, app.logCounts_);
  std::unique_ptr<FIX::ThreadedSocketAcceptor> acceptor(
      logs ? new FIX::ThreadedSocketAcceptor(app, *store, settings, *logs)
           : new FIX::ThreadedSocketAcceptor(app, *store, settings));
  app.bindDictionary();
  try {
    acceptor->start();
  } catch (FIX::RuntimeError& e) {
    JsonLine().str("error", "listen").num("port", o.port).str("reason", e.what()).print();
    return 3;
  }
  JsonLine().num("listening", o.port).print();
  const long long startMs = nowMs();
  while (g_signal == 0) ::usleep(20000);
  acceptor->stop();
  JsonLine j;
  j.str("role", "acceptor")
      .num("ordersReceived", app.ordersReceived_)
      .num("execsSent", app.execsSent_)
      .num("duplicates", app.duplicates_);
  app.common(j);
  j.num("elapsedMs", nowMs() - startMs).boolean("ok", app.failure_.empty());
  if (!app.failure_.empty()) j.str("reason", app.failure_);
  j.print();
  return app.failure_.empty() ? 0 : 1;
}

int runAcceptor(const Options& o) {
  if (o.threaded) return runThreadedAcceptor(o);
  FIX::SessionSettings settings(writeSettings(o));
  AcceptorApp app(o);
  FIX::FileStoreFactory store(settings);
  auto logs = makeLogFactory(o, settings, app.logCounts_);
  std::unique_ptr<FIX::SocketAcceptor> acceptor(
      logs ? new FIX::SocketAcceptor(app, store, settings, *logs)
           : new FIX::SocketAcceptor(app, store, settings));
  app.bindDictionary();
  try {
    acceptor->poll(0);  // the first poll binds the listening socket
  } catch (FIX::RuntimeError& e) {
    JsonLine().str("error", "listen").num("port", o.port).str("reason", e.what()).print();
    return 3;
  }
  JsonLine().num("listening", o.port).print();
  const long long startMs = nowMs();
  IdleWait idle;
  while (g_signal == 0) {
    if (o.exitOnLogout && app.logouts_ > 0 && app.lastLogoutClean_ && !app.loggedOn_) break;
    if (app.disconnectPending_) {
      app.disconnectPending_ = false;
      app.disconnectDone_ = true;
      std::cerr << "qfpeer: dropping the connection after order " << app.ordersReceived_
                << std::endl;
      if (FIX::Session* s = app.session()) s->disconnect();
    }
    acceptor->poll(0);
    idle.after(app.activity_);
  }
  if (g_signal != 0 && app.loggedOn_) {
    // Log out politely before exiting: QuickFIX's own stop() waits without polling, which would
    // never send the Logout in poll mode, so drive it here for at most 5 s.
    if (FIX::Session* s = app.session()) s->logout("shutting down");
    const long long until = nowMs() + 5000;
    while (app.loggedOn_ && nowMs() < until) {
      acceptor->poll(0);
      idle.after(app.activity_);
    }
  }
  JsonLine j;
  j.str("role", "acceptor")
      .num("ordersReceived", app.ordersReceived_)
      .num("execsSent", app.execsSent_)
      .num("duplicates", app.duplicates_);
  app.common(j);
  j.num("elapsedMs", nowMs() - startMs).boolean("ok", app.failure_.empty());
  if (!app.failure_.empty()) j.str("reason", app.failure_);
  acceptor->stop(true);
  j.print();
  return app.failure_.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a forced disconnect must not kill us on the next write
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  Options o = parseArgs(argc, argv);
  try {
    return o.mode == "initiator" ? runInitiator(o) : runAcceptor(o);
  } catch (std::exception& e) {
    JsonLine().str("error", "fatal").str("reason", e.what()).boolean("ok", false).print();
    return 2;
  }
}
