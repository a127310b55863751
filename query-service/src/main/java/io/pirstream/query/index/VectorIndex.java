package io.pirstream.query.index;

import io.pirstream.schemas.AvroSerde;
import io.pirstream.schemas.avro.Embedding;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.jboss.logging.Logger;

/**
 * The vector store: one Lucene document per chip, with an HNSW graph over the embeddings (cosine) and indexed
 * metadata for filters. Updates by chip id replace, deletes remove; searches see changes within
 * {@code refreshInterval} (near-real-time readers refreshed in the background).
 *
 * <p>Thread-safe: any number of searches run concurrently with one writer thread.
 */
public final class VectorIndex implements Closeable {

    static final String ID = "chipId";
    static final String VECTOR = "vector";
    static final String CAPTURED = "capturedAt";
    static final String SOURCE = "source";
    static final String PLATFORM = "platform";
    static final String WEST = "west";
    static final String SOUTH = "south";
    static final String EAST = "east";
    static final String NORTH = "north";
    static final String RECORD = "record";

    /** HNSW candidates explored per wanted result (see BENCHMARKS.md for the recall/latency trade-off). */
    public static final int CANDIDATE_FACTOR = 10;
    /** Fewest HNSW candidates explored, even for small k. */
    public static final int MIN_CANDIDATES = 100;
    /** Segments of similar size tolerated before they are merged (Lucene's default is 10). */
    public static final double SEGMENTS_PER_TIER = 2;

    private static final AvroSerde<Embedding> RECORDS = AvroSerde.of(Embedding.class);
    private static final Logger LOG = Logger.getLogger(VectorIndex.class);

    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final int dimension;
    private final AtomicBoolean dirty = new AtomicBoolean();
    /** Set while background refreshes fail, so that a failure streak is logged once, and its end too. */
    private final AtomicBoolean refreshFailing = new AtomicBoolean();
    private final ScheduledExecutorService refresher;
    private final ExecutorService graphBuilders;

    private VectorIndex(Directory directory, int dimension, long refreshMillis) throws IOException {
        this.directory = directory;
        this.dimension = dimension;
        // Every segment has its own HNSW graph and a search visits all of them, so merge eagerly into few segments
        // (BENCHMARKS.md: 31 segments answered 40x slower than one).
        TieredMergePolicy merges = new TieredMergePolicy();
        merges.setSegmentsPerTier(SEGMENTS_PER_TIER);
        merges.setFloorSegmentMB(64);
        // merging rebuilds HNSW graphs, the index's dominant write cost: let each merge use every core
        int workers = Runtime.getRuntime().availableProcessors();
        this.graphBuilders = Executors.newFixedThreadPool(workers, r -> {
            Thread thread = new Thread(r, "vector-index-graph-merge");
            thread.setDaemon(true);
            return thread;
        });
        KnnVectorsFormat vectors = new Lucene99HnswVectorsFormat(Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN,
                Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH, workers, workers > 1 ? graphBuilders : null);
        this.writer = new IndexWriter(directory, new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setRAMBufferSizeMB(128).setMergePolicy(merges).setCodec(new Lucene912Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return vectors;
                    }
                }));
        this.searchers = new SearcherManager(writer, null);
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "vector-index-refresh");
            thread.setDaemon(true);
            return thread;
        });
        refresher.scheduleWithFixedDelay(this::refreshIfDirty, refreshMillis, refreshMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens (or creates) an index.
     *
     * @param path folder of the index, or null for an in-memory index (benchmarks, tests)
     * @param dimension length of every vector
     * @param refreshMillis longest delay before an update is visible to searches
     */
    public static VectorIndex open(Path path, int dimension, long refreshMillis) {
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be >= 1, got " + dimension);
        }
        try {
            Directory directory = path == null ? new ByteBuffersDirectory() : FSDirectory.open(path);
            return new VectorIndex(directory, dimension, refreshMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the vector index at " + path, e);
        }
    }

    public int dimension() {
        return dimension;
    }

    /** Adds or replaces the chip's document. */
    public void upsert(Embedding embedding) {
        float[] vector = toArray(embedding);
        Document doc = new Document();
        doc.add(new StringField(ID, embedding.getChipId(), Field.Store.NO));
        doc.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.COSINE));
        doc.add(new LongPoint(CAPTURED, embedding.getCapturedAt().toEpochMilli()));
        doc.add(new StringField(SOURCE, embedding.getSource().name(), Field.Store.NO));
        doc.add(new StringField(PLATFORM, embedding.getPlatform(), Field.Store.NO));
        if (embedding.getGeo() != null) {
            doc.add(new DoublePoint(WEST, embedding.getGeo().getWest()));
            doc.add(new DoublePoint(SOUTH, embedding.getGeo().getSouth()));
            doc.add(new DoublePoint(EAST, embedding.getGeo().getEast()));
            doc.add(new DoublePoint(NORTH, embedding.getGeo().getNorth()));
        }
        doc.add(new StoredField(RECORD, new BytesRef(RECORDS.serialize(null, embedding))));
        try {
            writer.updateDocument(new Term(ID, embedding.getChipId()), doc);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot index chip " + embedding.getChipId(), e);
        }
        dirty.set(true);
    }

    /** Removes the chip, if present. */
    public void delete(String chipId) {
        try {
            writer.deleteDocuments(new Term(ID, chipId));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete chip " + chipId, e);
        }
        dirty.set(true);
    }

    /** Makes every update so far visible to searches now. */
    public void refresh() {
        try {
            dirty.set(false);
            searchers.maybeRefreshBlocking();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot refresh the vector index", e);
        }
    }

    /** Makes every update so far durable (the local copy survives a restart). */
    public void commit() {
        try {
            writer.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot commit the vector index", e);
        }
    }

    /** Number of index segments searched per query (each has its own HNSW graph). */
    public int segments() {
        IndexSearcher searcher = acquire();
        try {
            return searcher.getIndexReader().leaves().size();
        } finally {
            release(searcher);
        }
    }

    /**
     * Merges the index down to at most {@code maxSegments} segments (one HNSW graph each), which makes searches
     * faster; expensive, for maintenance windows and after bulk loads.
     */
    public void merge(int maxSegments) {
        try {
            writer.forceMerge(maxSegments);
            writer.commit();
            refresh();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot merge the vector index", e);
        }
    }

    /** Number of chips searchable now. */
    public int size() {
        IndexSearcher searcher = acquire();
        try {
            return searcher.getIndexReader().numDocs();
        } finally {
            release(searcher);
        }
    }

    /** The {@code k} chips most similar to {@code query} (a unit vector) that pass the filters, best first. */
    public List<Hit> search(float[] query, int k, SearchFilters filters) {
        return search(query, k, filters, Math.max(k * CANDIDATE_FACTOR, MIN_CANDIDATES));
    }

    /** {@link #search(float[], int, SearchFilters)} exploring {@code candidates} graph neighbours (benchmarks). */
    List<Hit> search(float[] query, int k, SearchFilters filters, int candidates) {
        Objects.requireNonNull(filters, "filters must not be null");
        if (query.length != dimension) {
            throw new IllegalArgumentException("query vector has " + query.length + " dimensions, the index " + dimension);
        }
        Query filter = filters.restrictsDocuments() ? filterQuery(filters) : null;
        IndexSearcher searcher = acquire();
        try {
            // explore more candidates than asked for: HNSW recall rises steeply with the beam, cost slowly
            TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, query, candidates, filter), k);
            List<Hit> hits = new ArrayList<>(top.scoreDocs.length);
            var storedFields = searcher.storedFields();
            for (ScoreDoc scoreDoc : top.scoreDocs) {
                float cosine = 2 * scoreDoc.score - 1; // Lucene's COSINE score is (1 + cos) / 2
                if (filters.minScore() != null && cosine < filters.minScore()) {
                    continue;
                }
                BytesRef record = storedFields.document(scoreDoc.doc).getBinaryValue(RECORD);
                hits.add(new Hit(cosine, decode(record)));
            }
            return hits;
        } catch (IOException e) {
            throw new UncheckedIOException("Search failed", e);
        } finally {
            release(searcher);
        }
    }

    /** The indexed record of a chip. */
    public Optional<Embedding> get(String chipId) {
        IndexSearcher searcher = acquire();
        try {
            TopDocs top = searcher.search(new TermQuery(new Term(ID, chipId)), 1);
            if (top.scoreDocs.length == 0) {
                return Optional.empty();
            }
            return Optional.of(decode(searcher.storedFields().document(top.scoreDocs[0].doc).getBinaryValue(RECORD)));
        } catch (IOException e) {
            throw new UncheckedIOException("Lookup of chip " + chipId + " failed", e);
        } finally {
            release(searcher);
        }
    }

    private static Query filterQuery(SearchFilters filters) {
        BooleanQuery.Builder query = new BooleanQuery.Builder().add(new MatchAllDocsQuery(), BooleanClause.Occur.FILTER);
        if (filters.capturedFrom() != null || filters.capturedTo() != null) {
            long from = filters.capturedFrom() == null ? Long.MIN_VALUE : filters.capturedFrom().toEpochMilli();
            long to = filters.capturedTo() == null ? Long.MAX_VALUE : filters.capturedTo().toEpochMilli();
            query.add(LongPoint.newRangeQuery(CAPTURED, from, to), BooleanClause.Occur.FILTER);
        }
        if (!filters.sources().isEmpty()) {
            query.add(new TermInSetQuery(SOURCE, filters.sources().stream().map(s -> new BytesRef(s.name())).toList()),
                    BooleanClause.Occur.FILTER);
        }
        if (!filters.platforms().isEmpty()) {
            query.add(new TermInSetQuery(PLATFORM, filters.platforms().stream().map(BytesRef::new).toList()),
                    BooleanClause.Occur.FILTER);
        }
        if (filters.bbox() != null) {
            // boxes overlap when each starts before the other ends, on both axes
            var box = filters.bbox();
            query.add(DoublePoint.newRangeQuery(WEST, Double.NEGATIVE_INFINITY, box.getEast()), BooleanClause.Occur.FILTER);
            query.add(DoublePoint.newRangeQuery(EAST, box.getWest(), Double.POSITIVE_INFINITY), BooleanClause.Occur.FILTER);
            query.add(DoublePoint.newRangeQuery(SOUTH, Double.NEGATIVE_INFINITY, box.getNorth()), BooleanClause.Occur.FILTER);
            query.add(DoublePoint.newRangeQuery(NORTH, box.getSouth(), Double.POSITIVE_INFINITY), BooleanClause.Occur.FILTER);
        }
        return query.build();
    }

    private float[] toArray(Embedding embedding) {
        List<Float> values = embedding.getVector();
        if (values.size() != dimension) {
            throw new IllegalArgumentException("embedding of chip " + embedding.getChipId() + " has " + values.size()
                    + " dimensions; this index holds " + dimension);
        }
        float[] vector = new float[values.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = values.get(i);
        }
        return vector;
    }

    private static Embedding decode(BytesRef bytes) {
        byte[] copy = new byte[bytes.length];
        System.arraycopy(bytes.bytes, bytes.offset, copy, 0, bytes.length);
        return RECORDS.deserialize(null, copy);
    }

    private IndexSearcher acquire() {
        try {
            return searchers.acquire();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open a searcher", e);
        }
    }

    private void release(IndexSearcher searcher) {
        try {
            searchers.release(searcher);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot release a searcher", e);
        }
    }

    private void refreshIfDirty() {
        if (dirty.get()) {
            try {
                refresh();
                if (refreshFailing.compareAndSet(true, false)) {
                    LOG.info("The vector index refreshes again: searches see new chips");
                }
            } catch (RuntimeException e) {
                dirty.set(true); // try again on the next tick
                if (refreshFailing.compareAndSet(false, true)) {
                    LOG.errorf(e, "Cannot refresh the vector index (retried every tick): searches do not see chips "
                            + "indexed since");
                }
            }
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        try {
            searchers.close();
            writer.close(); // commits
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot close the vector index", e);
        } finally {
            graphBuilders.shutdownNow();
        }
    }
}
