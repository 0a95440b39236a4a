package dev.costwise.integration.anthropic;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * An HTTPS proxy on a free loopback port for clients that must keep a cloud's real URL: it accepts
 * {@code CONNECT host:443}, ends TLS with a certificate made for that host (by the JDK's keytool,
 * trusted only by the client under test) and relays the plain HTTP to a local server. No name is
 * resolved and nothing leaves the machine; the hosts asked for are kept.
 */
final class TunnellingProxy implements AutoCloseable {
  private static final char[] PASSWORD = "costwise-test".toCharArray();

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final SSLContext tls;
  private final X509TrustManager trust;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<String> connects = new CopyOnWriteArrayList<>();

  /** Tunnels to {@code target} for clients asking for any of {@code hosts}. */
  TunnellingProxy(InetSocketAddress target, List<String> hosts) throws Exception {
    this.target = target;
    KeyStore keys = selfSigned(hosts);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD);
    tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(keys);
    trust = (X509TrustManager) tmf.getTrustManagers()[0];
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.execute(this::accept);
  }

  /** The proxy, for the client's builder. */
  Proxy proxy() {
    return new Proxy(Proxy.Type.HTTP, server.getLocalSocketAddress());
  }

  /** Trusts the proxy's certificate only. */
  X509TrustManager trustManager() {
    return trust;
  }

  /** A client TLS context trusting the proxy's certificate only. */
  SSLContext clientTls() throws Exception {
    SSLContext client = SSLContext.getInstance("TLS");
    client.init(null, new javax.net.ssl.TrustManager[] {trust}, null);
    return client;
  }

  /** The {@code host:port} of each CONNECT received. */
  List<String> connects() {
    return List.copyOf(connects);
  }

  private static KeyStore selfSigned(List<String> hosts) throws Exception {
    Path dir = Files.createTempDirectory("costwise-proxy");
    Path store = dir.resolve("proxy.p12");
    StringBuilder san = new StringBuilder("SAN=");
    for (int i = 0; i < hosts.size(); i++) {
      san.append(i == 0 ? "" : ",").append("dns:").append(hosts.get(i));
    }
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "proxy",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + hosts.get(0),
                "-ext",
                san.toString(),
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                new String(PASSWORD))
            .redirectErrorStream(true)
            .start();
    String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, PASSWORD);
    }
    Files.delete(store);
    Files.delete(dir);
    return keys;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        threads.execute(() -> tunnel(client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void tunnel(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      String head = readHead(in);
      String[] request = head.split("\r\n", 2)[0].split(" ");
      OutputStream out = client.getOutputStream();
      if (request.length < 2 || !request[0].equals("CONNECT")) {
        out.write("HTTP/1.1 405 Method Not Allowed\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return;
      }
      connects.add(request[1]);
      out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String host = request[1].substring(0, request[1].lastIndexOf(':'));
      try (SSLSocket secure =
              (SSLSocket) tls.getSocketFactory().createSocket(client, host, 443, false);
          Socket plain = new Socket(target.getAddress(), target.getPort())) {
        secure.setUseClientMode(false);
        secure.startHandshake();
        threads.execute(() -> pump(plain, secure));
        pump(secure, plain);
      }
    } catch (IOException e) {
      // the client or the server closed the connection
    }
  }

  private static void pump(Socket from, Socket to) {
    try {
      from.getInputStream().transferTo(to.getOutputStream());
    } catch (IOException e) {
      // one side closed: close both below
    }
    try {
      to.shutdownOutput();
    } catch (IOException | UnsupportedOperationException e) {
      // already closed
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4 && head.size() < 8192) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    server.close();
    threads.shutdownNow();
  }
}
