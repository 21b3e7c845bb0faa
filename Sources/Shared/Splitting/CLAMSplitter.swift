/// CLAM's Monte-Carlo splits (`--scheme clam`), reproducing `create_splits_seq.py` with
/// `patient_strat=True` draw for draw (CLAM 53e2409: `Generic_WSI_Classification_Dataset`,
/// `patient_data_prep`, `cls_ids_prep`, `create_splits`, `set_splits`; `utils.generate_split`):
///
/// 1. patients are `np.unique(case_id)`: sorted, numerically when every id is an integer (pandas then
///    reads the column as int64), else by code point; a patient's label is voted from its slides;
/// 2. class c has `n_c` patients; `val_num = round(n_c·val_frac)`, `test_num = round(n_c·test_frac)`
///    with numpy's half-to-even rounding;
/// 3. `np.random.seed(seed)` once, then per fold and class in order: `val = choice(class patients,
///    val_num, replace=False)`, `test = choice(rest, test_num, replace=False)` (`rest` sorted, as
///    `np.setdiff1d` returns it), train = the sorted remainder, cut to its first `ceil(len·label_frac)`;
/// 4. each part lists its patients' slides, patient by patient, each patient's slides in file order.
public enum CLAMSplitter {
    public struct Options: Sendable {
        public var folds: Int
        public var seed: UInt32
        public var valFrac: Double
        public var testFrac: Double
        public var labelFrac: Double

        public init(folds: Int = 10, seed: UInt32 = 1, valFrac: Double = 0.1, testFrac: Double = 0.1, labelFrac: Double = 1) {
            self.folds = folds
            self.seed = seed
            self.valFrac = valFrac
            self.testFrac = testFrac
            self.labelFrac = labelFrac
        }
    }

    /// Folds as slide indices into `table.slides`, each part in CLAM's order.
    public static func split(_ table: PatientTable, classes: [String], options: Options, source: String) throws -> [[[Int]]] {
        // Patients are handled by their position in np.unique order, as CLAM's ids are.
        let sortedPatients = numpyUniqueOrder(table.patients.map(\.caseID))
        var byClass = [[Int]](repeating: [], count: classes.count)  // positions, ascending
        for (position, patient) in sortedPatients.enumerated() { byClass[table.patients[patient].label].append(position) }
        let valNum = byClass.map { Int((Double($0.count) * options.valFrac).rounded(.toNearestOrEven)) }
        let testNum = byClass.map { Int((Double($0.count) * options.testFrac).rounded(.toNearestOrEven)) }
        for c in classes.indices where valNum[c] + testNum[c] > byClass[c].count {
            throw ToolError(
                "class '\(classes[c])' has \(byClass[c].count) patients, too few for \(valNum[c]) validation and \(testNum[c]) test patients",
                at: source, hint: "lower --val-frac or --test-frac")
        }

        var random = NumpyRandomState(seed: options.seed)
        var folds: [[[Int]]] = []
        for _ in 0..<options.folds {
            var train: [Int] = []
            var val: [Int] = []
            var test: [Int] = []
            for (c, possible) in byClass.enumerated() {
                let valPick = random.choiceWithoutReplacement(possible, size: valNum[c])
                var remaining = difference(possible, valPick)
                let testPick = random.choiceWithoutReplacement(remaining, size: testNum[c])
                remaining = difference(remaining, testPick)
                val += valPick
                test += testPick
                if options.labelFrac == 1 {
                    train += remaining
                } else {
                    let count = Int((Double(remaining.count) * options.labelFrac).rounded(.up))
                    train += remaining.prefix(count)
                }
            }
            folds.append(
                [train, val, test].map { positions in
                    table.slideIndices(of: positions.map { sortedPatients[$0] })
                })
        }
        return folds
    }

    /// Patient indices in `np.unique` order.
    static func numpyUniqueOrder(_ caseIDs: [String]) -> [Int] {
        let integers = caseIDs.map(pandasInteger)
        if integers.allSatisfy({ $0 != nil }) {
            return caseIDs.indices.sorted { integers[$0]! < integers[$1]! }
        }
        return caseIDs.indices.sorted { caseIDs[$0].utf8.lexicographicallyPrecedes(caseIDs[$1].utf8) }
    }

    /// The integer pandas' `read_csv` reads from a field (optional sign, digits, spaces around), if any.
    static func pandasInteger(_ text: String) -> Int64? {
        var bytes = Substring(text).utf8[...]
        while bytes.first == UInt8(ascii: " ") { bytes = bytes.dropFirst() }
        while bytes.last == UInt8(ascii: " ") { bytes = bytes.dropLast() }
        let negative = bytes.first == UInt8(ascii: "-")
        if negative || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        guard let magnitude = Int64(String(Substring(bytes))) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// `np.setdiff1d` of a sorted list: what is left, still sorted.
    private static func difference(_ sortedValues: [Int], _ removed: [Int]) -> [Int] {
        let gone = Set(removed)
        return sortedValues.filter { !gone.contains($0) }
    }
}
