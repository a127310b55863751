package io.pirstream.model.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Written descriptions of scene classes, several paraphrases each. They give label-only images
 * text to train on, and they are the queries of class-level retrieval and zero-shot
 * classification.
 */
public final class ClassDescriptions {

    private static final Map<String, List<String>> DESCRIPTIONS = new LinkedHashMap<>();
    /**
     * Prompts written for evaluation only, worded apart from {@link #DESCRIPTIONS} (no sentence shared), so that
     * class-level figures measured with them cannot come from memorised training texts.
     */
    private static final Map<String, List<String>> EVALUATION_PROMPTS = new LinkedHashMap<>();

    static {
        // RSSCN7 classes (also the labels of generated chips)
        put("field", "farmland divided into fields", "green and brown crop fields in strips", "an aerial view of cultivated fields");
        put("forest", "a dense forest of green trees", "many trees covering the whole area", "dark green woodland seen from above");
        put("grass", "an open grassland", "a large area of green grass", "a meadow of low grass with few objects");
        put("industry", "an industrial area with large factory buildings", "warehouses and factories with big grey roofs", "industrial buildings and storage tanks");
        put("parking", "a parking lot with many cars", "cars parked in rows on a large parking lot", "many vehicles parked next to each other");
        put("residential", "a residential area with many houses", "houses and roads in a neighbourhood", "many small buildings arranged along streets");
        put("river_lake", "a river or lake with water", "a body of blue water surrounded by land", "a river flowing through green land");
        // RSICD classes
        put("airport", "an airport with runways and planes", "planes parked near an airport terminal", "runways of an airport");
        put("bareland", "a piece of bare land", "bare brown soil without plants", "an empty area of bare ground");
        put("baseballfield", "a baseball field", "a baseball diamond with green grass", "a fan shaped baseball field");
        put("beach", "a beach next to the sea", "yellow sand along the blue ocean", "waves on a sandy beach");
        put("bridge", "a bridge over a river", "a bridge crossing the water", "a long bridge with cars over a river");
        put("center", "a building in the center of a city", "a large round building surrounded by green", "a central building with many buildings around");
        put("church", "a church with a tall roof", "a church among buildings", "an old church building");
        put("commercial", "a commercial area with many buildings", "dense commercial buildings and roads", "shops and office buildings in a city");
        put("denseresidential", "a dense residential area", "many houses built close together", "crowded residential buildings");
        put("desert", "a desert with sand dunes", "a yellow desert without plants", "dunes of sand in a desert");
        put("farmland", "farmland with many fields", "green farmland divided into pieces", "cultivated farmland");
        put("industrial", "an industrial area with factories", "factories and warehouses", "industrial buildings with large roofs");
        put("meadow", "a green meadow", "a large green meadow with grass", "an open meadow");
        put("mediumresidential", "a medium residential area", "houses with trees and roads", "residential buildings with green trees");
        put("mountain", "a mountain area", "mountains with green trees", "rocky mountains and valleys");
        put("park", "a park with trees and lawns", "a green park with a pond and paths", "trees and grass in a park");
        put("parking", "a parking lot with many cars", "cars parked in rows on a large parking lot", "many vehicles parked next to each other");
        put("playground", "a playground with a running track", "a football field surrounded by a track", "a sports playground near buildings");
        put("pond", "a pond surrounded by land", "a small pond of green water", "a pond with trees around it");
        put("port", "a port with boats", "many boats docked in a harbour", "ships in a port next to the sea");
        put("railwaystation", "a railway station with tracks", "trains and railway tracks at a station", "a station with long roofs over rails");
        put("resort", "a resort with a swimming pool", "a resort with buildings and pools", "holiday buildings near green trees");
        put("river", "a river through the land", "a winding river with green banks", "a river with trees on both sides");
        put("school", "a school with buildings and a playground", "school buildings next to a sports field", "a campus with buildings");
        put("sparseresidential", "a sparse residential area", "a few houses with many trees", "scattered houses surrounded by green");
        put("square", "a square in the city", "an open square surrounded by buildings", "a large public square");
        put("stadium", "a stadium", "a big stadium with a field inside", "an oval stadium among buildings");
        put("storagetanks", "storage tanks", "many white round storage tanks", "cylindrical tanks in an industrial area");
        put("viaduct", "a viaduct with roads", "roads crossing each other on a viaduct", "an overpass with curved roads");
    }

    static {
        evaluation("field", "rectangular plots of crops seen from the air", "agricultural land with parcels in several colours",
                "a patchwork of ploughed and planted fields");
        evaluation("forest", "a canopy of trees with no buildings", "thick woods seen from high above", "tree crowns filling the picture");
        evaluation("grass", "a lawn-like plain of short vegetation", "green pasture without trees or houses", "an empty grassy plain");
        evaluation("industry", "a factory site with long halls and yards", "large grey industrial roofs and chimneys",
                "a manufacturing plant with big sheds");
        evaluation("parking", "rows of parked automobiles", "a car park full of vehicles", "lots of cars standing on asphalt");
        evaluation("residential", "a neighbourhood of family homes", "housing blocks along small streets", "a suburb with many rooftops");
        evaluation("river_lake", "an area of open water with its shore", "a lake with land around it", "a stretch of river water");
    }

    private ClassDescriptions() {
    }

    private static void evaluation(String label, String... texts) {
        EVALUATION_PROMPTS.put(label, List.of(texts));
    }

    /** Evaluation-only prompts for a class, if written (RSSCN7's classes). */
    public static Optional<List<String>> evaluationPrompts(String label) {
        return Optional.ofNullable(EVALUATION_PROMPTS.get(label));
    }

    private static void put(String label, String... texts) {
        DESCRIPTIONS.put(label, List.of(texts));
    }

    /** Paraphrases for a class, if the project has written them. */
    public static Optional<List<String>> of(String label) {
        return Optional.ofNullable(DESCRIPTIONS.get(label));
    }

    /** Paraphrases for a class; a generic sentence built from the label when none are written. */
    public static List<String> orGeneric(String label) {
        return of(label).orElseGet(() -> List.of("an aerial image of " + label.replace('_', ' ')));
    }

    /** All classes with written descriptions. */
    public static List<String> classes() {
        return List.copyOf(DESCRIPTIONS.keySet());
    }
}
