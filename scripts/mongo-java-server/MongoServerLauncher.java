import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Starts mongo-java-server on 127.0.0.1:PORT, in memory or persisted to an H2 file.
 * Usage: java -cp CLASSPATH MongoServerLauncher.java PORT [H2_FILE]
 * Prints "listening PORT" once ready; stops when stdin closes, so it never outlives its parent.
 */
public class MongoServerLauncher {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        MongoServer server = new MongoServer(args.length > 1
            ? new H2Backend(args[1]) {
                @Override
                public Document handleCommand(Channel channel, String db, String command, Document query) {
                    return orderedUpdate(command, query, q -> super.handleCommand(channel, db, command, q));
                }
            }
            : new MemoryBackend() {
                @Override
                public Document handleCommand(Channel channel, String db, String command, Document query) {
                    return orderedUpdate(command, query, q -> super.handleCommand(channel, db, command, q));
                }
            });
        server.bind("127.0.0.1", port);
        System.out.println("listening " + port);
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
        while (System.in.read() != -1) { /* wait for the parent to go away */ }
        server.shutdownNow();
        System.exit(0);
    }

    /**
     * An ordered `update` command stops at its first failed statement, as MongoDB's does; mongo-java-server runs every
     * statement regardless. The service relies on it: a refused rate-limit statement must keep the append after it
     * from running (lib/db/rate-limits.ts). Runs the statements one at a time and stops at the first write error.
     */
    static Document orderedUpdate(String command, Document query, Function<Document, Document> run) {
        Object statements = query.get("updates");
        if (!"update".equals(command) || !(statements instanceof List<?> updates) || updates.size() < 2
                || Boolean.FALSE.equals(query.get("ordered"))) {
            return run.apply(query);
        }
        int n = 0;
        int modified = 0;
        List<Document> upserted = new ArrayList<>();
        List<Document> errors = new ArrayList<>();
        for (int i = 0; i < updates.size() && errors.isEmpty(); i++) {
            Document one = new Document(query);
            one.put("updates", List.of(updates.get(i)));
            Document result = run.apply(one);
            n += ((Number) result.getOrDefault("n", 0)).intValue();
            modified += ((Number) result.getOrDefault("nModified", 0)).intValue();
            for (Object key : listOf(result.get("upserted"))) upserted.add(reindexed(key, i));
            for (Object error : listOf(result.get("writeErrors"))) errors.add(reindexed(error, i));
        }
        Document response = new Document("n", n).append("nModified", modified);
        if (!upserted.isEmpty()) response.append("upserted", upserted);
        if (!errors.isEmpty()) response.append("writeErrors", errors);
        return response.append("ok", 1.0);
    }

    private static List<?> listOf(Object value) {
        return value instanceof List<?> list ? list : List.of();
    }

    private static Document reindexed(Object entry, int index) {
        Document copy = new Document((Document) entry);
        copy.put("index", index);
        return copy;
    }
}
