/// How a patient whose slides carry different labels gets one label (CLAM's `patient_voting`).
public enum PatientVoting: String, CaseIterable, Sendable {
    /// The highest class index among the slides (CLAM's default, the MIL convention).
    case max
    /// The most frequent class; ties go to the lowest class index (`scipy.stats.mode`).
    case maj
}

/// A patient (`case_id`) and the rows of its slides.
public struct Patient: Equatable, Sendable {
    public var caseID: String
    /// Fine class index of the patient, after voting.
    public var label: Int
    /// Indices into the slide list, in file order.
    public var slides: [Int]
}

/// Slides grouped by patient, with one fine label per patient: the unit every split scheme moves.
public struct PatientTable: Sendable {
    public let slides: [LabeledSlide]
    /// Fine class index of each slide.
    public let slideLabels: [Int]
    /// Patients in order of first appearance in the file.
    public let patients: [Patient]
    /// Index into `patients` of each slide.
    public let patientOfSlide: [Int]

    /// Groups `slides` by `case_id` and checks their labels against `hierarchy`. Without `voting`, a
    /// patient whose slides disagree is an error; with it, the rule picks the patient's label.
    public init(slides: [LabeledSlide], hierarchy: Hierarchy, voting: PatientVoting?, source: String) throws {
        var fineIndex: [String: Int] = [:]
        for (i, label) in hierarchy.fine.enumerated() { fineIndex[label] = i }
        var labels: [Int] = []
        labels.reserveCapacity(slides.count)
        for slide in slides {
            guard let index = fineIndex[slide.label] else {
                throw ToolError(
                    "label '\(slide.label)' of slide '\(slide.slideID)' is not a fine label of the hierarchy",
                    at: Self.location(source, slide),
                    hint: "fine labels are \(hierarchy.fine.joined(separator: ", "))")
            }
            labels.append(index)
        }

        var patientIndex: [String: Int] = [:]
        var patients: [Patient] = []
        var patientOfSlide: [Int] = []
        patientOfSlide.reserveCapacity(slides.count)
        for (i, slide) in slides.enumerated() {
            if let p = patientIndex[slide.caseID] {
                patients[p].slides.append(i)
                patientOfSlide.append(p)
            } else {
                patientIndex[slide.caseID] = patients.count
                patientOfSlide.append(patients.count)
                patients.append(Patient(caseID: slide.caseID, label: labels[i], slides: [i]))
            }
        }
        for p in patients.indices {
            let own = patients[p].slides.map { labels[$0] }
            guard let disagreeing = own.firstIndex(where: { $0 != own[0] }) else { continue }
            guard let voting else {
                let first = slides[patients[p].slides[0]]
                let other = slides[patients[p].slides[disagreeing]]
                throw ToolError(
                    "patient '\(first.caseID)' has slides labelled '\(first.label)' ('\(first.slideID)') and '\(other.label)' ('\(other.slideID)')",
                    at: Self.location(source, other),
                    hint: "pass --patient-voting max (highest class, CLAM's default) or maj (most frequent) to give each patient one label")
            }
            patients[p].label = Self.vote(own, voting, classes: hierarchy.fine.count)
        }
        self.slides = slides
        slideLabels = labels
        self.patients = patients
        self.patientOfSlide = patientOfSlide
    }

    static func vote(_ labels: [Int], _ rule: PatientVoting, classes: Int) -> Int {
        switch rule {
        case .max:
            return labels.max()!
        case .maj:
            var counts = [Int](repeating: 0, count: classes)
            for label in labels { counts[label] += 1 }
            return counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
        }
    }

    static func location(_ source: String, _ slide: LabeledSlide) -> String {
        slide.line > 0 ? "\(source), line \(slide.line)" : "\(source), slide '\(slide.slideID)'"
    }

    /// Patients of each fine class, as indices into `patients`, in order of first appearance.
    public func patientsByClass(classes: Int) -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: classes)
        for p in patients.indices { byClass[patients[p].label].append(p) }
        return byClass
    }

    /// Slide indices of the given patients, patient by patient, each patient's slides in file order.
    public func slideIndices(of patientList: [Int]) -> [Int] {
        patientList.flatMap { patients[$0].slides }
    }
}
