package components

// builtinKinds lists every built-in kind, in no particular order.
func builtinKinds() []*Kind {
	return []*Kind{fileKind(), presenceKind(), directoryKind(), contentKind(),
		modeKind(), ownerKind(), groupKind(), symlinkKind(), purgeKind(),
		jsonContentKind(), yamlContentKind(), commandKind(), downloadKind(), extractKind(), gitCloneKind(),
		usersUserKind(), usersGroupKind(), aptPackageKind(),
		systemdUnitKind(), systemdServiceKind(), systemdTimerKind(),
		cronJobKind(), rotatedLogfileKind()}
}

// pathAttr declares the path namevar of the file kinds. After Expand it
// holds the mapped path; the path as given is kept in DisplayAttr.
func pathAttr(doc string) Attr {
	return Attr{Name: "path", Type: TypeStr, Required: true, Doc: doc}
}
