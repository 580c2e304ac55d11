import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * Starts mongo-java-server on 127.0.0.1:PORT, in memory or persisted to an H2 file.
 * Usage: java -cp CLASSPATH MongoServerLauncher.java PORT [H2_FILE]
 * Prints "listening PORT" once ready; stops when stdin closes, so it never outlives its parent.
 */
public class MongoServerLauncher {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        MongoServer server = new MongoServer(args.length > 1 ? new H2Backend(args[1]) : new MemoryBackend());
        server.bind("127.0.0.1", port);
        System.out.println("listening " + port);
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
        while (System.in.read() != -1) { /* wait for the parent to go away */ }
        server.shutdownNow();
        System.exit(0);
    }
}
