//! A real SMTP server for tests, on an ephemeral port of 127.0.0.1: mailin's protocol state
//! machine (the crate the mailin-embedded server is built on) behind a plain TCP listener,
//! one thread per connection. What arrives is parsed with mailparse, as a mail client would
//! (quoted-printable bodies, encoded subjects).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mailin::{Action, Handler, Response, SessionBuilder};

/// A mail as it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    /// The envelope's recipients.
    pub to: Vec<String>,
    pub subject: String,
    /// The decoded text body (a multipart mail's `text/plain` part).
    pub body: String,
    /// A multipart mail's decoded `text/html` part.
    pub html: Option<String>,
}

/// The decoded body of the first part of `mail` (itself or a subpart) of type `mime`.
fn part(mail: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
    if mail.subparts.is_empty() {
        return (mail.ctype.mimetype == mime)
            .then(|| mail.get_body().ok())
            .flatten();
    }
    mail.subparts.iter().find_map(|sub| part(sub, mime))
}

impl Received {
    /// The first link of the body that contains `path`, with its `token` parameter.
    pub fn link(&self, path: &str) -> Option<(String, String)> {
        let link = self
            .body
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(path))?;
        let token = link.split_once("?token=")?.1.to_owned();
        Some((link.to_owned(), token))
    }
}

/// The server; mail stays in its inbox until taken. It can be stopped and started again on
/// the same port, as a mail server that goes down and comes back.
pub struct MailServer {
    pub addr: SocketAddr,
    inbox: Arc<Mutex<Vec<Received>>>,
    listening: Mutex<Option<Listening>>,
}

struct Connection {
    inbox: Arc<Mutex<Vec<Received>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Connection {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let Ok(parsed) = mailparse::parse_mail(&self.data) else {
            return mailin::response::TRANSACTION_FAILED;
        };
        let subject = parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case("subject"))
            .map(mailparse::MailHeader::get_value)
            .unwrap_or_default();
        let body = part(&parsed, "text/plain").unwrap_or_default();
        let html = part(&parsed, "text/html");
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.push(Received {
                to: std::mem::take(&mut self.to),
                subject,
                body,
                html,
            });
        }
        mailin::response::OK
    }
}

fn serve(stream: TcpStream, peer: IpAddr, inbox: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let handler = Connection {
        inbox,
        to: Vec::new(),
        data: Vec::new(),
    };
    let mut session = SessionBuilder::new("textisur-tests").build(peer, handler);
    // Each reply leaves in one write, as a real server's does: mailin writes a reply in
    // pieces, and Nagle's algorithm held each next piece for the client's delayed ACK
    // (about 40 ms a reply, 250 ms a mail).
    stream.set_nodelay(true)?;
    let mut writer = BufWriter::new(stream.try_clone()?);
    session.greeting().write_to(&mut writer)?;
    writer.flush()?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply => {
                response.write_to(&mut writer)?;
                writer.flush()?;
            }
            Action::Close => {
                response.write_to(&mut writer)?;
                return writer.flush();
            }
            Action::NoReply | Action::UpgradeTls => {}
        }
    }
}

/// A running accept loop and the connections it took.
struct Listening {
    stop: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
    accept: std::thread::JoinHandle<()>,
}

impl Listening {
    fn start(listener: TcpListener, inbox: Arc<Mutex<Vec<Received>>>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (stopped, taken) = (Arc::clone(&stop), Arc::clone(&connections));
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(copy) = stream.try_clone() {
                    taken.lock().expect("connections").push(copy);
                }
                let inbox = Arc::clone(&inbox);
                let peer = stream.peer_addr().map_or([127, 0, 0, 1].into(), |p| p.ip());
                std::thread::spawn(move || {
                    let _ = serve(stream, peer, inbox);
                });
            }
        });
        Self {
            stop,
            connections,
            accept,
        }
    }
}

impl MailServer {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP port");
        let addr = listener.local_addr().expect("SMTP address");
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let listening = Listening::start(listener, Arc::clone(&inbox));
        Self {
            addr,
            inbox,
            listening: Mutex::new(Some(listening)),
        }
    }

    /// Goes down: the port refuses connections, and open ones are cut.
    pub fn stop(&self) {
        let Some(listening) = self.listening.lock().expect("listening").take() else {
            return;
        };
        listening.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which sees the flag and drops the listener.
        let _ = TcpStream::connect(self.addr);
        listening.accept.join().expect("accept loop");
        for connection in listening.connections.lock().expect("connections").drain(..) {
            let _ = connection.shutdown(Shutdown::Both);
        }
    }

    /// Comes back on the same port, with the mail that arrived before.
    pub fn restart(&self) {
        let mut listening = self.listening.lock().expect("listening");
        if listening.is_none() {
            let listener = TcpListener::bind(self.addr).expect("bind the SMTP port again");
            *listening = Some(Listening::start(listener, Arc::clone(&self.inbox)));
        }
    }

    /// The URL for `TEXTISUR_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Takes every mail that arrived so far.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.inbox.lock().expect("inbox"))
    }

    /// Takes the mails that arrived for `address`, leaving the others.
    pub fn take_for(&self, address: &str) -> Vec<Received> {
        let mut inbox = self.inbox.lock().expect("inbox");
        let (mine, others): (Vec<_>, Vec<_>) = inbox.drain(..).partition(|m| {
            m.to.iter()
                .any(|t| t.trim_matches(['<', '>']).eq_ignore_ascii_case(address))
        });
        *inbox = others;
        mine
    }
}
