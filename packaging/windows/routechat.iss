; Inno Setup 6 script: the Windows installer for RouteChat.
;
;   packaging/build_pyinstaller.sh                       (dist\routechat\, in Git Bash)
;   iscc /DAppVersion=0.1.0 packaging\windows\routechat.iss
;     ->  dist\RouteChat-0.1.0-windows-x64-setup.exe
;
; Installs for the current user by default (no administrator rights: %LOCALAPPDATA%\Programs),
; or for all users if the user picks that (Program Files). Start-menu entry, optional desktop icon,
; an uninstaller in "Installed apps". The uninstaller removes only what it installed: settings,
; conversations and logs (%LOCALAPPDATA%\routechat) and the API key (Windows Credential Manager,
; entry "RouteChat") stay, so a reinstall finds them; docs/install.md says how to delete them.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\routechat"
#endif
#define AppName "RouteChat"
#define AppExe "RouteChat.exe"

[Setup]
; Never change AppId: Windows finds earlier installations (upgrade, uninstall) by it.
AppId={{31466A63-33E5-4D93-A80F-A32D977635A7}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=RouteChat developers
AppComments=Chat with Eden AI's smart router and see which model answered
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\routechat.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running RouteChat before replacing its files.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the bundled runtime as a whole: no stale libraries of an older version.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Chat through Eden AI's smart router"
Name: "{autoprograms}\{#AppName} (demo, no key)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"; Comment: "Try RouteChat without an account; nothing is sent to Eden AI"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
