// Moodspeaker enclosure: a parametric two-part box (shell + back plate) in OpenSCAD.
// Render a part:  openscad -D 'part="shell"' -o shell.stl enclosure.scad   (or "back", "both")
// Print: PETG or ASA near a warm Pi/Coral (PLA softens at ~55 °C), 0.2 mm layers, 3 walls.
//
// Layout, front to back: the speaker grille fills the lower front, the camera looks out of a
// window above it (tilted up by camera_tilt, for a speaker on a shelf below eye height), the
// privacy button and the status LED sit on top, the Pi stands on the back plate with its ports
// towards the cut-outs, vents run along both sides (low intake, high exhaust).

part = "both";             // "shell" | "back" | "both"
board = "pi5";             // "pi5" | "pi4" | "zero2w": mounting pattern and port cut-out

// Inside dimensions (mm).
inner_w = 120;             // across
inner_h = 140;             // up
inner_d = 80;              // front to back
wall = 2.4;
corner_r = 6;

speaker_d = 66;            // driver cut-out (a 2.5-3" full-range driver)
speaker_mount = 75;        // driver screw circle diameter
grille_hole = 3.2;
camera_window = [14, 14];  // Camera Module 3 lens window (the board is 25 x 24)
camera_hole_pitch = [21, 12.5]; // Camera Module 2/3 mounting holes (M2)
camera_tilt = 10;          // degrees upwards
camera_z = 112;            // lens height above the inside floor
button_d = 12.2;           // 12 mm panel button
led_d = 5.2;               // 5 mm LED
vent_w = 3;
vent_l = 30;
coral_bay = [66, 32, 10];  // Coral USB Accelerator (65 x 30 x 8) on the side wall, vented

function board_holes(b) =
    b == "zero2w" ? [[3.5, 3.5], [61.5, 3.5], [3.5, 26.5], [61.5, 26.5]]
                  : [[3.5, 3.5], [61.5, 3.5], [3.5, 52.5], [61.5, 52.5]];  // Pi 4 and Pi 5: 58 x 49
function board_size(b) = b == "zero2w" ? [65, 30] : [85, 56];

$fn = 48;

module rounded_box(size, r) {
    hull() for (x = [r, size[0] - r], y = [r, size[1] - r])
        translate([x, y, 0]) cylinder(r = r, h = size[2]);
}

module grille(d, pitch = 5) {
    for (x = [-d / 2 : pitch : d / 2], y = [-d / 2 : pitch : d / 2])
        if (x * x + y * y < (d / 2 - grille_hole) * (d / 2 - grille_hole))
            translate([x + ((round(y / pitch) % 2) * pitch / 2), y, 0])
                cylinder(d = grille_hole, h = wall * 3, center = true);
}

module vents(count, z0) {
    for (i = [0 : count - 1])
        translate([0, 12 + i * (vent_w * 2), z0]) cube([wall * 3, vent_w, vent_l], center = true);
}

// The shell: front, sides, top and bottom; open at the back.
module shell() {
    outer = [inner_w + 2 * wall, inner_d + wall, inner_h + 2 * wall];
    difference() {
        // Box lying with its front face at y = 0.
        rotate([-90, 0, 0]) translate([0, -outer[2], 0])
            rounded_box([outer[0], outer[2], outer[1]], corner_r);
        // Hollow, open at the back.
        translate([wall, wall, wall]) cube([inner_w, inner_d + 1, inner_h]);
        // Speaker: grille and screw holes.
        translate([outer[0] / 2, 0, wall + speaker_d / 2 + 10]) rotate([90, 0, 0]) {
            grille(speaker_d);
            for (a = [45 : 90 : 315])
                rotate([0, 0, a]) translate([speaker_mount / 2, 0, 0]) cylinder(d = 3.2, h = wall * 3, center = true);
        }
        // Camera window, tilted.
        translate([outer[0] / 2, 0, wall + camera_z]) rotate([90 - camera_tilt, 0, 0])
            cube([camera_window[0], camera_window[1], wall * 6], center = true);
        // Button and LED on the top, towards the front.
        translate([outer[0] / 2 - 18, wall + 20, outer[2] - wall / 2]) cylinder(d = button_d, h = wall * 3, center = true);
        translate([outer[0] / 2 + 18, wall + 20, outer[2] - wall / 2]) cylinder(d = led_d, h = wall * 3, center = true);
        // Side vents: low on the left (intake), high on the right (exhaust).
        translate([wall / 2, 0, wall + 30]) vents(5, 0);
        translate([outer[0] - wall / 2, 0, outer[2] - 40]) vents(5, 0);
        // Coral bay slot on the right wall, with its own vents.
        translate([outer[0] - wall * 1.5, inner_d - coral_bay[0] - 4, wall + 6])
            cube([wall * 3, coral_bay[0], coral_bay[1] / 3]);
    }
    // Camera board standoffs behind the window (M2 self-tapping).
    translate([outer[0] / 2, wall, wall + camera_z]) rotate([-camera_tilt, 0, 0])
        for (dx = [-camera_hole_pitch[0] / 2, camera_hole_pitch[0] / 2], dz = [-camera_hole_pitch[1] / 2, camera_hole_pitch[1] / 2])
            translate([dx, 0, dz]) rotate([-90, 0, 0]) difference() {
                cylinder(d = 5, h = 4);
                cylinder(d = 1.8, h = 5);
            }
}

// The back plate: carries the Pi on M2.5 standoffs, with cut-outs for power and USB.
module back() {
    size = [inner_w - 0.4, inner_h - 0.4, wall];
    holes = board_holes(board);
    bsize = board_size(board);
    origin = [(size[0] - bsize[0]) / 2, 20];
    difference() {
        rounded_box(size, corner_r - wall);
        // Port window along the board's lower edge (USB-C power, USB/Ethernet beside it).
        translate([origin[0] - 4, 6, -1]) cube([bsize[0] + 8, 12, wall + 2]);
        // Screw holes at the corners into the shell's bosses (drill to fit).
        for (x = [8, size[0] - 8], y = [8, size[1] - 8]) translate([x, y, -1]) cylinder(d = 3.2, h = wall + 2);
        // Exhaust vents high up.
        for (i = [0 : 6]) translate([20 + i * 12, size[1] - 30, -1]) cube([vent_w * 2, 20, wall + 2]);
    }
    for (h = holes)
        translate([origin[0] + h[0], origin[1] + h[1], wall]) difference() {
            cylinder(d = 6, h = 6);
            cylinder(d = 2.2, h = 7); // M2.5 self-tapping
        }
}

if (part == "shell" || part == "both") shell();
if (part == "back") back();
if (part == "both") translate([inner_w + 20, 0, 0]) back();
